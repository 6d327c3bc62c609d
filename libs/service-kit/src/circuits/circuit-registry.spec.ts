import { MessagingMetrics } from '../metrics/messaging-metrics';
import { CircuitRegistry } from './circuit-registry';

describe('CircuitRegistry', () => {
  it('lists the circuits an application registered, with the state it reported and since when', () => {
    const registry = new CircuitRegistry();
    const email = registry.register('email-provider');
    registry.register('payments', 'open');

    email.set('half-open');

    expect(registry.list()).toEqual([
      { name: 'email-provider', state: 'half-open', since: expect.any(String) },
      { name: 'payments', state: 'open', since: expect.any(String) },
    ]);
  });

  it('refuses a name registered twice and a state it does not know', () => {
    const registry = new CircuitRegistry();
    const circuit = registry.register('email-provider');

    expect(() => registry.register('email-provider')).toThrow(/already registered/);
    expect(() => circuit.set('broken' as 'open')).toThrow(/closed, half-open, open, isolated/);
  });

  it('exports circuit_breaker_state{circuit} on the metrics registry: 0 closed, 1 half-open, 2 open, 3 isolated', async () => {
    const metrics = new MessagingMetrics();
    const registry = new CircuitRegistry(metrics);
    registry.register('a');
    registry.register('b').set('open');

    const text = await metrics.registry.getSingleMetricAsString('circuit_breaker_state');

    expect(text).toContain('circuit_breaker_state{circuit="a"} 0');
    expect(text).toContain('circuit_breaker_state{circuit="b"} 2');
  });
});
