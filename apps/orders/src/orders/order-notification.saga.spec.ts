// Specs for the order saga's decisions (its database, broker and timing are covered end to end in
// test/order-saga.e2e-spec.ts): which order a fault names, whether it is compensated, what the timeout does in each state.
import type { Fault, MessageScheduler } from '@app/messaging';
import { SagaInstance, type Outbox, type Transaction } from '@app/persistence';
import { OrderNotificationTimedOut } from './order-notification-timed-out';
import { OrderNotificationSaga, orderIdOfFault, type OrderNotificationData } from './order-notification.saga';

const ORDER_ID = '3f2b8c1e-4d5a-4b6c-8d7e-9f0a1b2c3d4e';
const REFERENCE = { deadLetterQueue: 'notifications.order.created.dlq', bytes: 2_000_000, sha256: 'a'.repeat(64), carried: false };

function fault(parts: Partial<Fault>): Fault {
  return {
    messageId: 'm-1',
    messageType: 'order.created',
    correlationId: 'c-1',
    queue: 'notifications.order.created',
    handler: 'OrderCreatedHandler.onOrderCreated',
    errorType: 'permanent',
    errorMessage: 'the provider refused the address',
    attempts: 1,
    failedAt: '2026-03-01T12:00:00.000Z',
    ...parts,
  };
}

/** A saga instance in `state`, on a transaction that records the order updates, with an outbox that records publishes. */
function instance(state: string) {
  const updates: unknown[] = [];
  const tx = { update: () => ({ set: (values: unknown) => ({ where: async () => void updates.push(values) }) }) } as unknown as Transaction;
  const published: unknown[] = [];
  const outbox = { add: jest.fn(async (_tx: unknown, _type: unknown, data: unknown) => void published.push(data)) } as unknown as Outbox;
  const scheduler = { schedule: jest.fn(async () => ({ token: 't-1', messageId: 'm', dueAt: new Date() })) } as unknown as MessageScheduler;
  const now = new Date();
  const saga = new SagaInstance<OrderNotificationData>(
    {
      sagaType: 'order-notification',
      sagaKey: ORDER_ID,
      state,
      data: { placedAt: '2026-03-01T12:00:00.000Z', timeoutMs: 3000 },
      version: 1,
      waitingFor: 'notification.sent',
      schedules: ['t-1'],
      startedAt: now,
      updatedAt: now,
      completedAt: null,
    },
    false,
    tx,
    { outbox, scheduler },
    {},
  );
  return { saga, updates, published, scheduler };
}

const orderSaga = new OrderNotificationSaga({ port: 3000, notificationTimeoutMs: 3000 });

describe('orderIdOfFault', () => {
  it('finds the order in the whole order.created, or in its excerpt when it was too big to carry', () => {
    expect(orderIdOfFault(fault({ message: { orderId: ORDER_ID }, original: { ...REFERENCE, carried: true } }))).toBe(ORDER_ID);
    expect(orderIdOfFault(fault({ messageExcerpt: { orderId: ORDER_ID, currency: 'EUR' }, original: REFERENCE }))).toBe(ORDER_ID);
  });

  it.each([
    ['no body part at all (not JSON)', { original: REFERENCE }],
    ['an order id that is not a UUID', { message: { orderId: 'o-1' } }],
    ['an order id of another type', { messageExcerpt: { orderId: 42 } }],
  ])('names no order for a fault with %s (the saga ignores it)', (_case, parts: Partial<Fault>) => {
    expect(orderIdOfFault(fault(parts))).toBeUndefined();
  });
});

describe('OrderNotificationSaga', () => {
  it('starts PENDING, waiting for notification.sent, with its timeout scheduled', async () => {
    const { saga, scheduler } = instance('STARTED');

    await orderSaga.begin(saga, { id: ORDER_ID, createdAt: new Date('2026-03-01T12:00:00.000Z') });

    expect(saga.state).toBe('PENDING');
    expect(saga.waitingFor).toBe('notification.sent');
    expect(scheduler.schedule).toHaveBeenCalledWith(
      OrderNotificationTimedOut,
      { orderId: ORDER_ID },
      { delayMs: 3000 },
      expect.objectContaining({ transaction: saga.transaction }),
    );
  });

  it('marks a PENDING order OVERDUE on its timeout and publishes one alert', async () => {
    const { saga, updates, published } = instance('PENDING');

    await orderSaga.onTimedOut({ orderId: ORDER_ID }, saga);

    expect(saga.state).toBe('OVERDUE');
    expect(saga.isCompleted).toBe(false);
    expect(updates).toEqual([expect.objectContaining({ status: 'OVERDUE' })]);
    expect(published).toEqual([{ orderId: ORDER_ID, placedAt: '2026-03-01T12:00:00.000Z', timeoutMs: 3000 }]);
  });

  it('does nothing on a timeout once the order is no longer PENDING', async () => {
    const { saga, updates, published } = instance('OVERDUE');

    await orderSaga.onTimedOut({ orderId: ORDER_ID }, saga);

    expect(saga.state).toBe('OVERDUE');
    expect(updates).toEqual([]);
    expect(published).toEqual([]);
  });

  it('ends an OVERDUE order NOTIFIED when its notification comes late, cancelling nothing twice', async () => {
    const { saga, updates } = instance('OVERDUE');

    await orderSaga.onNotificationSent({ orderId: ORDER_ID, attempts: 4 } as never, saga);

    expect(saga.state).toBe('NOTIFIED');
    expect(saga.isCompleted).toBe(true);
    expect(saga.note).toBe('sent after 4 attempt(s), late');
    expect(updates).toEqual([expect.objectContaining({ status: 'NOTIFIED', failureReason: null })]);
    expect([...saga.cancelled]).toEqual(['t-1']);
  });

  it('compensates a fault of its order.created: NOTIFICATION_FAILED with the reason', async () => {
    const { saga, updates } = instance('PENDING');

    await orderSaga.onOrderCreatedFault(fault({ message: { orderId: ORDER_ID } }), saga);

    expect(saga.state).toBe('NOTIFICATION_FAILED');
    expect(saga.isCompleted).toBe(true);
    expect(updates).toEqual([
      expect.objectContaining({ status: 'NOTIFICATION_FAILED', failureReason: 'permanent: the provider refused the address' }),
    ]);
  });
});
