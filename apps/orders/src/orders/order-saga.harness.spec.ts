// The order saga on the test harness: no broker, no database server (the embedded database, in memory). An order placed
// goes out through the outbox and starts its saga; the notifier's answers come back through the same consume pipeline
// as in production and settle the order. The harness does not model scheduled messages (their relay needs the broker):
// here the scheduler records what the saga schedules, and the test delivers the timeout itself. The timeout's trip
// through the broker, a restart included, is test/order-saga.e2e-spec.ts.
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { NotificationSent, OrderCreated, OrderNotificationOverdue } from '@app/contracts';
import { faultOf, MessageScheduler, MessagingModule, ScheduledMessageRelay, SchedulingModule } from '@app/messaging';
import { DatabaseModule, SagasModule } from '@app/persistence';
import { MessagingHarness } from '@app/testing';
import { ordersConfig, readOrdersConfig } from '../orders-config';
import { SERVICE_NAME } from '../service-name';
import { OrderNotificationTimedOut } from './order-notification-timed-out';
import { OrderNotificationSaga } from './order-notification.saga';
import { OrdersService } from './orders.service';

const TIMEOUT_MS = 60_000;

describe('the order saga (harness)', () => {
  let harness: MessagingHarness;
  let orders: OrdersService;
  const scheduled: Array<{ type: unknown; data: unknown; when: unknown }> = [];
  const scheduler = {
    schedule: async (type: unknown, data: unknown, when: unknown) => {
      scheduled.push({ type, data, when });
      return { token: `t-${scheduled.length}`, messageId: randomUUID(), dueAt: new Date() };
    },
    cancel: async () => undefined,
  };

  beforeAll(async () => {
    const builder = Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({ serviceName: SERVICE_NAME }),
        DatabaseModule.forRoot({ inMemory: true }),
        SchedulingModule.forRoot(),
        SagasModule.forRoot(),
      ],
      providers: [
        OrdersService,
        OrderNotificationSaga,
        { provide: ordersConfig.KEY, useValue: readOrdersConfig({ NOTIFICATION_TIMEOUT_MS: String(TIMEOUT_MS) }) },
      ],
    })
      .overrideProvider(MessageScheduler)
      .useValue(scheduler)
      .overrideProvider(ScheduledMessageRelay)
      .useValue({ onApplicationBootstrap: () => undefined, waitUntilReady: async () => undefined, stop: async () => undefined });
    harness = await MessagingHarness.create(builder);
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

  it('marks the order NOTIFIED when notification.sent arrives', async () => {
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

  it('schedules its timeout when the order is placed; at the timeout the order is OVERDUE with one alert, and a late notification still ends it NOTIFIED', async () => {
    const orderId = await placeOrder();
    expect(scheduled).toContainEqual({ type: OrderNotificationTimedOut, data: { orderId }, when: { delayMs: TIMEOUT_MS } });

    await harness.publish(OrderNotificationTimedOut, { orderId });
    await harness.consumed(OrderNotificationTimedOut, (timeout) => timeout.orderId === orderId);
    expect(await orders.find(orderId)).toMatchObject({ status: 'OVERDUE' });
    expect(await harness.published(OrderNotificationOverdue, (alert) => alert.orderId === orderId)).toHaveLength(1);

    await harness.publish(NotificationSent, {
      notificationId: randomUUID(),
      orderId,
      channel: 'email',
      recipient: 'a***e@example.com',
      attempts: 4,
      sentAt: new Date().toISOString(),
      providerMessageId: 'sandbox-2',
    });
    await harness.consumed(NotificationSent, (event) => event.orderId === orderId);
    expect(await orders.find(orderId)).toMatchObject({ status: 'NOTIFIED' });
    expect(await harness.published(OrderNotificationOverdue, (alert) => alert.orderId === orderId)).toHaveLength(1);
  });
});
