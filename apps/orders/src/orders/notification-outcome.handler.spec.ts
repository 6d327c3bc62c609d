// Specs for the compensation: the fault of an order.created marks its order NOTIFICATION_FAILED, whether the fault
// carries the whole order.created or only its short fields (a body too big to carry), and names nothing otherwise.
import type { Fault, MessageContext } from '@app/messaging';
import { NotificationOutcomeHandler } from './notification-outcome.handler';
import type { OrdersService } from './orders.service';

const ORDER_ID = '3f2b8c1e-4d5a-4b6c-8d7e-9f0a1b2c3d4e';
const TRANSACTION = { name: 'the inbox transaction' };

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

function setup() {
  const settle = jest.fn(async () => true);
  const handler = new NotificationOutcomeHandler({ settle } as unknown as OrdersService);
  const context = { transaction: TRANSACTION } as unknown as MessageContext;
  return { settle, onFault: (f: Fault) => handler.onOrderCreatedFault(f, context) };
}

const REFERENCE = { deadLetterQueue: 'notifications.order.created.dlq', bytes: 2_000_000, sha256: 'a'.repeat(64), carried: false };

describe('NotificationOutcomeHandler.onOrderCreatedFault', () => {
  it('compensates the order the fault carries whole', async () => {
    const { settle, onFault } = setup();

    await onFault(fault({ message: { orderId: ORDER_ID }, original: { ...REFERENCE, carried: true } }));

    expect(settle).toHaveBeenCalledWith(TRANSACTION, ORDER_ID, 'NOTIFICATION_FAILED', 'permanent: the provider refused the address');
  });

  it('compensates by the excerpt when the order.created was too big to carry', async () => {
    const { settle, onFault } = setup();

    await onFault(fault({ messageExcerpt: { orderId: ORDER_ID, currency: 'EUR' }, original: REFERENCE }));

    expect(settle).toHaveBeenCalledWith(TRANSACTION, ORDER_ID, 'NOTIFICATION_FAILED', expect.stringContaining('permanent'));
  });

  it.each([
    ['no body part at all (not JSON)', { original: REFERENCE }],
    ['an order id that is not a UUID', { message: { orderId: 'o-1' } }],
    ['an order id of another type', { messageExcerpt: { orderId: 42 } }],
  ])('changes no order for a fault with %s', async (_case, parts: Partial<Fault>) => {
    const { settle, onFault } = setup();

    await onFault(fault(parts));

    expect(settle).not.toHaveBeenCalled();
  });
});
