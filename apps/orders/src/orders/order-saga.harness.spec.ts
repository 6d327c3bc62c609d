// The order saga on the test harness: no broker, no database server (the embedded database, in memory). An order placed
// goes out through the outbox; the notifier's answers come back through the same consume pipeline as in production,
// the @EventPattern one included, and settle the order.
import { randomUUID } from 'node:crypto';
import { NotificationSent, OrderCreated } from '@app/contracts';
import { faultOf, MessagingModule, MessagingTransportModule } from '@app/messaging';
import { DatabaseModule } from '@app/persistence';
import { MessagingHarness } from '@app/testing';
import { SERVICE_NAME } from '../service-name';
import { NotificationOutcomeHandler } from './notification-outcome.handler';
import { OrdersService } from './orders.service';

describe('the order saga (harness)', () => {
  let harness: MessagingHarness;
  let orders: OrdersService;

  beforeAll(async () => {
    harness = await MessagingHarness.create({
      imports: [
        MessagingModule.forRoot({ serviceName: SERVICE_NAME }),
        MessagingTransportModule.forRoot(),
        DatabaseModule.forRoot({ inMemory: true }),
      ],
      controllers: [NotificationOutcomeHandler],
      providers: [OrdersService],
    });
    orders = harness.get(OrdersService);
  });

  afterAll(() => harness?.close());

  async function placeOrder(): Promise<string> {
    const { order } = await orders.place({
      customerId: randomUUID(),
      email: 'alice@example.com',
      currency: 'EUR',
      items: [{ sku: 'BOOK-1', quantity: 2, unitPrice: '14.10' }],
    });
    return order.id;
  }

  it('publishes order.created through the outbox, keyed by the order', async () => {
    const orderId = await placeOrder();

    const [created] = await harness.published(OrderCreated, (event) => event.orderId === orderId);
    expect(created.body).toMatchObject({
      orderId,
      total: '28.20',
      currency: 'EUR',
      notification: { kind: 'email', address: 'alice@example.com' },
    });
    expect(created.headers['x-ordering-key']).toBe(orderId);
  });

  it('marks the order NOTIFIED when notification.sent arrives (an @EventPattern handler)', async () => {
    const orderId = await placeOrder();

    await harness.publish(NotificationSent, {
      notificationId: randomUUID(),
      orderId,
      channel: 'email',
      recipient: 'a***e@example.com',
      attempts: 1,
      sentAt: new Date().toISOString(),
      providerMessageId: 'sandbox-1',
    });
    await harness.consumed(NotificationSent, (event) => event.orderId === orderId);

    expect(await orders.find(orderId)).toMatchObject({ status: 'NOTIFIED' });
  });

  it('compensates when the notifier dead-letters the order.created: NOTIFICATION_FAILED with the reason', async () => {
    const orderId = await placeOrder();

    await harness.publish(faultOf(OrderCreated), {
      messageId: randomUUID(),
      messageType: OrderCreated.messageType,
      correlationId: randomUUID(),
      queue: 'notifications.order.created',
      handler: 'OrderCreatedHandler.onOrderCreated',
      errorType: 'permanent',
      errorMessage: 'The provider refused the recipient (422)',
      attempts: 1,
      failedAt: new Date().toISOString(),
      message: { orderId },
    });
    await harness.consumed(faultOf(OrderCreated), (fault) => fault.message?.orderId === orderId);

    expect(await orders.find(orderId)).toMatchObject({
      status: 'NOTIFICATION_FAILED',
      failureReason: 'permanent: The provider refused the recipient (422)',
    });
  });

  it('dead-letters a notification.sent that is not valid, without touching any order', async () => {
    await harness.publishRaw({ type: NotificationSent.messageType, body: { orderId: 'not-a-uuid' } });

    const letters = await harness.deadLettered(
      NotificationSent,
      (event) => (event as { orderId?: string } | undefined)?.orderId === 'not-a-uuid',
    );
    expect(letters).toEqual([expect.objectContaining({ errorType: 'validation', queue: 'orders.notification.sent.dlq' })]);
  });
});
