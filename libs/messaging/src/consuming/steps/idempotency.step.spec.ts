// Protects @Idempotent handlers: a message (or key) is handled once; a duplicate is marked and skips the rest.
import { MessagingConfigError, PermanentError } from '@app/messaging-core';
import { deliveryOf, handlerFor, rawDelivery } from '../../../../../test/support/deliveries';
import type { HandlerDefinition } from '../../handlers/handler-definition';
import type { IdempotencyClaim, IdempotencyResult, IdempotencyStore } from '../../idempotency/idempotency-store';
import { IdempotencyStores } from '../../idempotency/idempotency-stores';
import type { IdempotentOptions } from '../../idempotency/idempotent.decorator';
import type { Delivery } from '../delivery';
import { IdempotencyStep } from './idempotency.step';

class OrderPlaced {
  static readonly messageType = 'order.placed';
  static readonly schemaVersion = 1;
  orderId!: string;
}

function idempotentHandler(options: IdempotentOptions<OrderPlaced>, overrides: Partial<HandlerDefinition> = {}): HandlerDefinition {
  return handlerFor(OrderPlaced, { idempotent: options as IdempotentOptions<object>, ...overrides });
}

/** A delivery past the validate step: its message is set. */
function deliver(handler: HandlerDefinition, messageId: string, orderId = 'o-1'): Delivery {
  const delivery = deliveryOf(handler, rawDelivery(OrderPlaced.messageType, { properties: { messageId } }));
  delivery.message = Object.assign(new OrderPlaced(), { orderId });
  return delivery;
}

/** A store that records claims and hands its work a transaction, as the database store does. */
class TransactionalStore implements IdempotencyStore {
  readonly claims: IdempotencyClaim[] = [];
  constructor(readonly transaction: object) {}

  async runOnce(claim: IdempotencyClaim, work: (transaction?: unknown) => Promise<void>): Promise<IdempotencyResult> {
    this.claims.push(claim);
    await work(this.transaction);
    return 'processed';
  }
}

function setup() {
  const stores = new IdempotencyStores();
  const step = new IdempotencyStep(stores);
  const next = jest.fn(async (): Promise<void> => undefined);
  return { stores, step, next };
}

describe('IdempotencyStep.forHandler', () => {
  it('leaves the step out for a handler without @Idempotent', () => {
    const { step } = setup();

    expect(step.forHandler(handlerFor(OrderPlaced))).toBeNull();
  });

  it('keeps the step for an @Idempotent handler', () => {
    const { step } = setup();

    expect(step.forHandler(idempotentHandler({ store: 'memory' }))).toBe(step);
  });

  it.each([
    ['database', 'DatabaseModule.forRoot() from @app/persistence'],
    ['redis', 'RedisIdempotencyModule.forRoot() from @app/persistence'],
  ] as const)('refuses a %s store the application has not registered, naming the module to import', (store, module) => {
    const { step } = setup();
    const handler = idempotentHandler({ store }, { name: 'Billing.onOrder' });

    expect(() => step.forHandler(handler)).toThrow(MessagingConfigError);
    expect(() => step.forHandler(handler)).toThrow(module);
    expect(() => step.forHandler(handler)).toThrow(/Billing\.onOrder/);
  });

  it('takes the database store by default', () => {
    const { stores, step, next } = setup();
    const store = new TransactionalStore({});
    stores.register('database', store);
    const handler = idempotentHandler({});
    step.forHandler(handler);

    return step.handle(deliver(handler, 'm-1'), next).then(() => expect(store.claims).toHaveLength(1));
  });
});

describe('IdempotencyStep with the memory store', () => {
  it('runs the rest for the first delivery of a message', async () => {
    const { step, next } = setup();
    const handler = idempotentHandler({ store: 'memory' });
    step.forHandler(handler);
    const delivery = deliver(handler, 'm-1');

    await step.handle(delivery, next);

    expect(next).toHaveBeenCalledTimes(1);
    expect(delivery.duplicate).toBe(false);
  });

  it('does not run the rest for a second delivery with the same message id, and marks it a duplicate', async () => {
    const { step, next } = setup();
    const handler = idempotentHandler({ store: 'memory' });
    step.forHandler(handler);
    await step.handle(deliver(handler, 'm-1'), next);
    const again = deliver(handler, 'm-1');

    await step.handle(again, next);

    expect(next).toHaveBeenCalledTimes(1);
    expect(again.duplicate).toBe(true);
  });

  it('runs the rest for another message id', async () => {
    const { step, next } = setup();
    const handler = idempotentHandler({ store: 'memory' });
    step.forHandler(handler);

    await step.handle(deliver(handler, 'm-1'), next);
    await step.handle(deliver(handler, 'm-2'), next);

    expect(next).toHaveBeenCalledTimes(2);
  });

  it("takes the key from the handler's key function, given the validated message", async () => {
    const { step, next } = setup();
    const handler = idempotentHandler({ store: 'memory', key: (message) => message.orderId });
    step.forHandler(handler);

    await step.handle(deliver(handler, 'm-1', 'o-1'), next);
    const sameOrder = deliver(handler, 'm-2', 'o-1');
    await step.handle(sameOrder, next);
    await step.handle(deliver(handler, 'm-3', 'o-2'), next);

    expect(sameOrder.duplicate).toBe(true);
    expect(next).toHaveBeenCalledTimes(2);
  });

  it('fails with PermanentError when the key function gives an empty key, and the rest does not run', async () => {
    const { step, next } = setup();
    const handler = idempotentHandler({ store: 'memory', key: () => '' });
    step.forHandler(handler);

    await expect(step.handle(deliver(handler, 'm-1'), next)).rejects.toThrow(PermanentError);
    await expect(step.handle(deliver(handler, 'm-1'), next)).rejects.toThrow(/key of TestHandler\.handle is empty for message m-1/);
    expect(next).not.toHaveBeenCalled();
  });

  it("fails with the rest's error and leaves no mark, so that a retry runs the rest again", async () => {
    const { step, next } = setup();
    const handler = idempotentHandler({ store: 'memory' });
    step.forHandler(handler);
    next.mockRejectedValueOnce(new Error('database busy'));

    await expect(step.handle(deliver(handler, 'm-1'), next)).rejects.toThrow('database busy');
    const retry = deliver(handler, 'm-1');
    await step.handle(retry, next);

    expect(next).toHaveBeenCalledTimes(2);
    expect(retry.duplicate).toBe(false);
  });

  it("keeps each handler's marks apart: a message handled on one queue is not a duplicate on another", async () => {
    const { step, next } = setup();
    const billing = idempotentHandler({ store: 'memory' }, { queue: 'billing.order.placed' });
    const shipping = idempotentHandler({ store: 'memory' }, { queue: 'shipping.order.placed' });
    step.forHandler(billing);
    step.forHandler(shipping);

    await step.handle(deliver(billing, 'm-1'), next);
    const onShipping = deliver(shipping, 'm-1');
    await step.handle(onShipping, next);

    expect(onShipping.duplicate).toBe(false);
    expect(next).toHaveBeenCalledTimes(2);
  });

  it('gives the handler no transaction', async () => {
    const { step } = setup();
    const handler = idempotentHandler({ store: 'memory' });
    step.forHandler(handler);
    const delivery = deliver(handler, 'm-1');
    let reading: (() => unknown) | undefined;

    await step.handle(delivery, async () => {
      reading = () => delivery.context.transaction;
    });

    expect(reading).toThrow(/TestHandler\.handle has no transaction/);
  });
});

describe('IdempotencyStep with a store that hands a transaction', () => {
  it('binds the transaction to context.transaction for the rest, and claims consumer, key, message id and ttl', async () => {
    const { stores, step } = setup();
    const transaction = { name: 'tx-1' };
    const store = new TransactionalStore(transaction);
    stores.register('database', store);
    const handler = idempotentHandler({ store: 'database', ttlMs: 60_000 });
    step.forHandler(handler);
    const delivery = deliver(handler, 'm-1');
    let seen: unknown;

    await step.handle(delivery, async () => {
      seen = delivery.context.transaction;
    });

    expect(seen).toBe(transaction);
    expect(store.claims).toEqual([{ consumer: 'test.order.placed', key: 'm-1', messageId: 'm-1', ttlMs: 60_000 }]);
  });

  it('claims for seven days when the handler sets no ttl', async () => {
    const { stores, step, next } = setup();
    const store = new TransactionalStore({});
    stores.register('redis', store);
    const handler = idempotentHandler({ store: 'redis' });
    step.forHandler(handler);

    await step.handle(deliver(handler, 'm-1'), next);

    expect(store.claims[0].ttlMs).toBe(7 * 24 * 3600 * 1000);
  });
});
