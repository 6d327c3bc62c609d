import { EnvConfigError } from '@app/messaging';
import { readNotificationsConfig } from './notifications-config';

describe('the notification service configuration', () => {
  it('has the documented defaults, and counts empty values as unset', () => {
    const defaults = { port: 3001, circuitFailureThreshold: 5, circuitHalfOpenAfterMs: 10_000 };

    expect(readNotificationsConfig({})).toEqual(defaults);
    expect(readNotificationsConfig({ PORT: '', CIRCUIT_FAILURE_THRESHOLD: '', CIRCUIT_HALF_OPEN_AFTER_MS: '' })).toEqual(defaults);
  });

  it('reads PORT and the circuit settings', () => {
    expect(readNotificationsConfig({ PORT: '4001', CIRCUIT_FAILURE_THRESHOLD: '3', CIRCUIT_HALF_OPEN_AFTER_MS: '250' })).toEqual({
      port: 4001,
      circuitFailureThreshold: 3,
      circuitHalfOpenAfterMs: 250,
    });
  });

  it.each([
    ['CIRCUIT_FAILURE_THRESHOLD', 'abc', 'must be an integer from 1 to 1000'],
    ['CIRCUIT_FAILURE_THRESHOLD', '0', 'must be an integer from 1 to 1000'],
    ['CIRCUIT_FAILURE_THRESHOLD', '5x', 'must be an integer from 1 to 1000'],
    ['CIRCUIT_HALF_OPEN_AFTER_MS', '10s', 'must be an integer from 1 to 86400000'],
    ['CIRCUIT_HALF_OPEN_AFTER_MS', '0', 'must be an integer from 1 to 86400000'],
    ['PORT', '0', 'must be an integer from 1 to 65535'],
    ['PORT', '70000', 'must be an integer from 1 to 65535'],
  ])('refuses %s=%p in one line naming the variable and the accepted form', (variable, value, form) => {
    const read = () => readNotificationsConfig({ [variable]: value });

    expect(read).toThrow(EnvConfigError);
    expect(read).toThrow(`${variable}=${JSON.stringify(value)} ${form}`);
  });
});
