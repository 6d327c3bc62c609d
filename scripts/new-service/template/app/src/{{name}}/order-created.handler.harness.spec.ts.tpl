// The sample handler on the test harness (@app/testing): no broker and no database server (the embedded database, in
// memory), the same consume pipeline as in production. Copy it for each handler you add: it runs in milliseconds.
import { randomUUID } from 'node:crypto';
import { OrderCreated } from '@app/contracts';
import { MessagingModule, type MessageData } from '@app/messaging';
import { DATABASE, DatabaseModule, type DatabaseHandle } from '@app/persistence';
import { MessagingHarness } from '@app/testing';
import { eq } from 'drizzle-orm';
import { SERVICE_NAME } from '../service-name';
import { OrderCreatedHandler } from './order-created.handler';
import { receivedOrders } from './received-order.schema';

describe('OrderCreatedHandler (harness)', () => {
  let harness: MessagingHarness;

  beforeAll(async () => {
    harness = await MessagingHarness.create({
      imports: [MessagingModule.forRoot({ serviceName: SERVICE_NAME }), DatabaseModule.forRoot({ inMemory: true })],
      providers: [OrderCreatedHandler],
    });
  });

  afterAll(() => harness?.close());

  const rowsOf = (orderId: string) =>
    harness.get<DatabaseHandle>(DATABASE).db.select().from(receivedOrders).where(eq(receivedOrders.orderId, orderId));

  it('records an order once, though its order.created is delivered twice', async () => {
    const order = sampleOrder();
    const messageId = `order-created-${order.orderId}`;
    await harness.publish(OrderCreated, order, { messageId });
    await harness.publish(OrderCreated, order, { messageId });

    await harness.consumed(OrderCreated, (created) => created.orderId === order.orderId);

    const attempts = await harness.attempts(OrderCreated, (created) => created?.orderId === order.orderId);
    expect(attempts.map((delivery) => delivery.outcome).sort()).toEqual(['acked', 'duplicate']);
    expect(await rowsOf(order.orderId)).toEqual([expect.objectContaining({ messageId, total: '28.20', currency: 'EUR' })]);
  });

  it('dead-letters an order.created that is not valid, as validation, and records nothing', async () => {
    const order = { ...sampleOrder(), total: 'a lot' };
    await harness.publishRaw({ type: OrderCreated.messageType, body: order });

    const letters = await harness.deadLettered(OrderCreated, (created) => created?.orderId === order.orderId);
    expect(letters).toEqual([expect.objectContaining({ errorType: 'validation' })]);
    expect(await rowsOf(order.orderId)).toEqual([]);
  });
});

function sampleOrder(): MessageData<OrderCreated> {
  return {
    orderId: randomUUID(),
    customerId: randomUUID(),
    email: 'alice@example.com',
    currency: 'EUR',
    items: [{ sku: 'BOOK-1', quantity: 2, unitPrice: '14.10' }],
    total: '28.20',
    placedAt: new Date().toISOString(),
    notification: { kind: 'email', address: 'alice@example.com' },
  };
}
