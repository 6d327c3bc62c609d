// The notifier's handler on the test harness: no broker, no database server (the embedded database, in memory). The
// same pipeline as in production: validation, the inbox, retries on a virtual clock, dead letters, faults, the outbox.
import { randomUUID } from 'node:crypto';
import { ConfigModule } from '@nestjs/config';
import { NotificationSent, OrderCreated } from '@app/contracts';
import { faultOf, MessagingModule, type MessageData } from '@app/messaging';
import { DATABASE, DatabaseModule, type DatabaseHandle } from '@app/persistence';
import { CircuitRegistry } from '@app/service-kit';
import { MessagingHarness } from '@app/testing';
import { eq } from 'drizzle-orm';
import { notificationsConfig } from '../notifications-config';
import { SERVICE_NAME } from '../service-name';
import { EmailSender } from './email-sender';
import { notifications } from './notification.schema';
import { OrderCreatedHandler } from './order-created.handler';
import { SandboxEmailProvider } from './sandbox-email-provider';

describe('OrderCreatedHandler (harness)', () => {
  let harness: MessagingHarness;

  beforeAll(async () => {
    harness = await MessagingHarness.create({
      imports: [
        ConfigModule.forRoot({ ignoreEnvFile: true, load: [notificationsConfig] }),
        MessagingModule.forRoot({ serviceName: SERVICE_NAME }),
        DatabaseModule.forRoot({ inMemory: true }),
      ],
      providers: [SandboxEmailProvider, EmailSender, CircuitRegistry, OrderCreatedHandler],
    });
  });

  afterAll(() => harness?.close());

  const rowsOf = (orderId: string) =>
    harness.get<DatabaseHandle>(DATABASE).db.select().from(notifications).where(eq(notifications.orderId, orderId));

  it('mails the customer, records it and announces notification.sent, caused by the order.created', async () => {
    const order = anOrder('alice@example.com');
    const { messageId, correlationId } = await harness.publish(OrderCreated, order);

    await harness.consumed(OrderCreated, (created) => created.orderId === order.orderId);

    expect(await rowsOf(order.orderId)).toEqual([expect.objectContaining({ messageId, recipient: 'alice@example.com', attempts: 1 })]);
    const [sent] = await harness.published(NotificationSent, (event) => event.orderId === order.orderId);
    expect(sent.body).toMatchObject({ channel: 'email', recipient: 'a***e@example.com', attempts: 1 });
    expect(sent).toMatchObject({ correlationId, causationId: messageId });
  });

  it('retries while the provider is unavailable, and sends once it is back', async () => {
    const order = anOrder('transient-2@example.com');
    await harness.publish(OrderCreated, order);

    await harness.advanceTime(10_000);

    const attempts = await harness.attempts(OrderCreated, (created) => created?.orderId === order.orderId);
    expect(attempts.map((delivery) => delivery.outcome)).toEqual(['retried', 'retried', 'acked']);
    const [sent] = await harness.published(NotificationSent, (event) => event.orderId === order.orderId);
    expect(sent.body.attempts).toBe(3);
  });

  it('dead-letters an order whose address the provider refuses, and publishes its fault', async () => {
    const order = anOrder('reject@example.com');
    const { messageId } = await harness.publish(OrderCreated, order);

    const [letter] = await harness.deadLettered(OrderCreated, (created) => created?.orderId === order.orderId);
    expect(letter).toMatchObject({ messageId, errorType: 'permanent', errorMessage: 'The provider refused the recipient (422)' });
    expect(await harness.published(faultOf(OrderCreated), (fault) => fault.messageId === messageId)).toHaveLength(1);
    expect(await harness.published(NotificationSent, (event) => event.orderId === order.orderId)).toEqual([]);
  });

  it('mails once for an order.created delivered twice', async () => {
    const order = anOrder('bob@example.com');
    const messageId = `order-created-${order.orderId}`;
    await harness.publish(OrderCreated, order, { messageId });
    await harness.publish(OrderCreated, order, { messageId });

    const attempts = await harness.attempts(OrderCreated, (created) => created?.orderId === order.orderId);
    expect(attempts.map((delivery) => delivery.outcome).sort()).toEqual(['acked', 'duplicate']);
    expect(await rowsOf(order.orderId)).toHaveLength(1);
  });
});

function anOrder(address: string): MessageData<OrderCreated> {
  return {
    orderId: randomUUID(),
    customerId: randomUUID(),
    email: address,
    currency: 'EUR',
    items: [{ sku: 'BOOK-1', quantity: 2, unitPrice: '14.10' }],
    total: '28.20',
    placedAt: new Date().toISOString(),
    notification: { kind: 'email', address },
  };
}
