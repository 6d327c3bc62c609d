// Protects which dependencies a handler's consumer waits for: what it lists, else the application's defaults, and
// always its idempotency store's.
import { MessagingConfigError } from '@app/messaging-core';
import { handlerFor } from '../../../../test/support/deliveries';
import type { IdempotencyStore } from '../idempotency/idempotency-store';
import { IdempotencyStores } from '../idempotency/idempotency-stores';
import { Dependencies } from './dependencies';
import { DependencyMonitor } from './dependency-monitor';

class OrderPlaced {
  static readonly messageType = 'order.placed';
  static readonly schemaVersion = 1;
}

const storeIn = (dependency: string): IdempotencyStore => ({ dependency, runOnce: () => Promise.resolve('processed') });

function setup() {
  const stores = new IdempotencyStores();
  stores.register('database', storeIn('database'));
  stores.register('redis', storeIn('redis'));
  const dependencies = new Dependencies(stores);
  const monitor = (name: string) => new DependencyMonitor({ name, probe: () => Promise.resolve() });
  dependencies.add(monitor('database'), { everyHandler: true });
  dependencies.add(monitor('redis'));
  dependencies.add(monitor('payments-api'));
  const names = (overrides: Parameters<typeof handlerFor>[1]) =>
    dependencies.forHandler(handlerFor(OrderPlaced, overrides)).map((dependency) => dependency.name);
  return { dependencies, names };
}

describe('Dependencies.forHandler', () => {
  it("gives a handler that lists none the application's defaults: the database, not Redis", () => {
    expect(setup().names({})).toEqual(['database']);
  });

  it('gives a handler what it lists instead of the defaults', () => {
    const { names } = setup();

    expect(names({ dependsOn: ['payments-api'] })).toEqual(['payments-api']);
    expect(names({ dependsOn: [] })).toEqual([]);
  });

  it('always adds the dependency its idempotency store keeps its marks in', () => {
    const { names } = setup();

    expect(names({ idempotent: { store: 'redis' } })).toEqual(['database', 'redis']);
    expect(names({ idempotent: { store: 'redis' }, dependsOn: [] })).toEqual(['redis']);
    expect(names({ idempotent: {}, dependsOn: ['payments-api'] })).toEqual(['payments-api', 'database']);
    expect(names({ idempotent: { store: 'memory' }, dependsOn: [] })).toEqual([]);
  });

  it('refuses a listed name the application does not have, naming the handler and what it has', () => {
    const { names } = setup();

    expect(() => names({ dependsOn: ['datbase'] })).toThrow(MessagingConfigError);
    expect(() => names({ dependsOn: ['datbase'] })).toThrow(
      'Invalid messaging option "TestHandler.handle dependsOn": "datbase" is not a dependency of this application (it has "database", "redis", "payments-api")',
    );
  });

  it('refuses a second dependency of the same name', () => {
    const { dependencies } = setup();

    expect(() => dependencies.add(new DependencyMonitor({ name: 'redis', probe: () => Promise.resolve() }))).toThrow(MessagingConfigError);
  });
});
