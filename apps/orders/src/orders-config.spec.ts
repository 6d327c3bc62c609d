import { EnvConfigError } from '@app/messaging';
import { readOrdersConfig } from './orders-config';

describe('the order service configuration', () => {
  it('listens on 3000 unless PORT says otherwise (an empty PORT counts as unset)', () => {
    expect(readOrdersConfig({}).port).toBe(3000);
    expect(readOrdersConfig({ PORT: '' }).port).toBe(3000);
    expect(readOrdersConfig({ PORT: '8080' }).port).toBe(8080);
  });

  it('waits 5 minutes for a notification unless NOTIFICATION_TIMEOUT_MS says otherwise', () => {
    expect(readOrdersConfig({}).notificationTimeoutMs).toBe(300_000);
    expect(readOrdersConfig({ NOTIFICATION_TIMEOUT_MS: '3000' }).notificationTimeoutMs).toBe(3000);
  });

  it.each(['999', '-1', 'soon', '2592000001'])('refuses NOTIFICATION_TIMEOUT_MS=%p naming the variable', (value) => {
    expect(() => readOrdersConfig({ NOTIFICATION_TIMEOUT_MS: value })).toThrow(EnvConfigError);
    expect(() => readOrdersConfig({ NOTIFICATION_TIMEOUT_MS: value })).toThrow(/NOTIFICATION_TIMEOUT_MS/);
  });

  it.each(['0', '70000', '65536', '-1', 'abc', '3000.5', ' 3000'])(
    'refuses PORT=%p in one line naming the variable and the accepted form',
    (value) => {
      const read = () => readOrdersConfig({ PORT: value });

      expect(read).toThrow(EnvConfigError);
      expect(read).toThrow(`PORT=${JSON.stringify(value)} must be an integer from 1 to 65535`);
    },
  );
});
