// Protects the deferral of deliveries during an outage: not handled while a dependency of the handler is down, and a
// handler's transient failure caused by a dependency going down becomes a DependencyUnavailableError (so the outcome
// step gives it back without counting an attempt); the message's own failures stay what they are.
import { DependencyUnavailableError, PermanentError, TransientError } from '@app/messaging-core';
import { deliveryOf, handlerFor, rawDelivery } from '../../../../../test/support/deliveries';
import { Dependencies } from '../../dependencies/dependencies';
import { DependencyMonitor } from '../../dependencies/dependency-monitor';
import type { HandlerDefinition } from '../../handlers/handler-definition';
import { IdempotencyStores } from '../../idempotency/idempotency-stores';
import { DependenciesStep } from './dependencies.step';

class OrderPlaced {
  static readonly messageType = 'order.placed';
  static readonly schemaVersion = 1;
}

/** A dependency whose probe answers as `state.up` says. */
function dependency(name: string) {
  const state = { up: true, probes: 0 };
  const monitor = new DependencyMonitor({
    name,
    probe: async () => {
      state.probes++;
      if (!state.up) throw new Error(`${name} refused the connection`);
    },
    freshForMs: 0,
  });
  return { monitor, state };
}

async function setup(handlerOverrides: Partial<HandlerDefinition> = {}) {
  const database = dependency('database');
  await database.monitor.start();
  const dependencies = new Dependencies(new IdempotencyStores());
  dependencies.add(database.monitor, { everyHandler: true });
  const step = new DependenciesStep(dependencies);
  const handler = handlerFor(OrderPlaced, handlerOverrides);
  const prepared = step.forHandler(handler);
  const delivery = () => deliveryOf(handler, rawDelivery(OrderPlaced.messageType));
  return { database, step, prepared, delivery };
}

afterEach(() => jest.useRealTimers());

describe('DependenciesStep', () => {
  it('is left out of the pipeline of a handler that depends on nothing', async () => {
    const { prepared } = await setup({ dependsOn: [] });

    expect(prepared).toBeNull();
  });

  it('runs the handler while its dependencies are up, and returns what it returns', async () => {
    const { step, delivery } = await setup();
    const next = jest.fn(() => Promise.resolve());

    await expect(step.handle(delivery(), next)).resolves.toBeUndefined();
    expect(next).toHaveBeenCalledTimes(1);
  });

  it('does not run the handler while a dependency is down: the delivery fails as DependencyUnavailableError, naming it', async () => {
    const { database, step, delivery } = await setup();
    database.state.up = false;
    await database.monitor.checkNow();
    const next = jest.fn();

    expect(() => step.handle(delivery(), next)).toThrow(DependencyUnavailableError);
    expect(() => step.handle(delivery(), next)).toThrow('database is unavailable: database refused the connection');
    expect(next).not.toHaveBeenCalled();
    database.monitor.stop();
  });

  it('turns a transient failure into DependencyUnavailableError when the dependency turns out to be down, keeping it as the cause', async () => {
    const { database, step, delivery } = await setup();
    const failure = new TransientError('could not save the notification');
    const next = () => {
      database.state.up = false; // the database went away while the handler ran; the handler wrapped the driver's error
      return Promise.reject(failure);
    };

    const error = await (step.handle(delivery(), next) as Promise<void>).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect(error).toMatchObject({ dependency: 'database', cause: failure });
    expect(database.monitor.isUp).toBe(false);
    database.monitor.stop();
  });

  it('leaves a transient failure as it is when the dependency answers', async () => {
    const { step, delivery } = await setup();
    const failure = new TransientError('provider busy');

    await expect(step.handle(delivery(), () => Promise.reject(failure))).rejects.toBe(failure);
  });

  it("leaves the message's own permanent failure as it is, whatever is down", async () => {
    const { database, step, delivery } = await setup();
    const failure = new PermanentError('customer was deleted');
    const next = () => {
      database.state.up = false;
      return Promise.reject(failure);
    };

    await expect(step.handle(delivery(), next)).rejects.toBe(failure);
    expect(database.state.probes).toBe(1); // the one at start: a permanent failure asks nothing
  });

  it('passes an outage on as it is, and has its dependency looked at at once', async () => {
    const { database, step, delivery } = await setup();
    const outage = new DependencyUnavailableError('database', 'the database connection was lost');
    database.state.up = false;

    await expect(step.handle(delivery(), () => Promise.reject(new Error('Failed query: commit', { cause: outage })))).rejects.toMatchObject(
      {
        cause: outage,
      },
    );
    await new Promise((resolve) => setImmediate(resolve));

    expect(database.monitor.isUp).toBe(false);
    database.monitor.stop();
  });

  it('treats a synchronous throw of a later step like a rejection', async () => {
    const { database, step, delivery } = await setup();
    const next = () => {
      database.state.up = false;
      throw new TransientError('sync failure');
    };

    await expect(step.handle(delivery(), next)).rejects.toBeInstanceOf(DependencyUnavailableError);
    database.monitor.stop();
  });
});
