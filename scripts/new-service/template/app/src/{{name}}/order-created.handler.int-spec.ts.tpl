// Integration: the sample handler against the real broker (a vhost of its own) and a PostgreSQL database of its own,
// migrated from this service's migrations: an order.created becomes one row, however often it is delivered.
import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { OrderCreated } from '@app/contracts';
import { ConsumerSupervisor, MessagePublisher, MessagingModule, type MessageData } from '@app/messaging';
import { DATABASE, DatabaseModule, type DatabaseHandle } from '@app/persistence';
import { eq } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/test-database';
import { createTestVhost, eventually, type TestVhost } from '../../../../test/support/test-broker';
import { SERVICE_NAME } from '../service-name';
import { OrderCreatedHandler } from './order-created.handler';
import { receivedOrders } from './received-order.schema';

describe('OrderCreatedHandler', () => {
  let vhost: TestVhost;
  let database: TestDatabase;
  let app: INestApplication;

  beforeAll(async () => {
    [vhost, database] = await Promise.all([createTestVhost(SERVICE_NAME), createTestDatabase(SERVICE_NAME)]);
    const moduleRef = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({ serviceName: SERVICE_NAME, url: vhost.url, shutdownTimeoutMs: 2000 }),
        DatabaseModule.forRoot({ url: database.url }),
      ],
      providers: [OrderCreatedHandler],
    }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
    await app.get(ConsumerSupervisor).waitUntilReady();
  });

  afterAll(async () => {
    await app?.close();
    await Promise.all([vhost?.delete(), database?.drop()]);
  });

  async function rowsOf(orderId: string): Promise<Array<typeof receivedOrders.$inferSelect>> {
    return app.get<DatabaseHandle>(DATABASE).db.select().from(receivedOrders).where(eq(receivedOrders.orderId, orderId));
  }

  it('records an order once, though its order.created is delivered twice', async () => {
    const orderId = randomUUID();
    const messageId = `order-created-${orderId}`;
    const publisher = app.get(MessagePublisher);
    for (let delivery = 0; delivery < 2; delivery++) await publisher.publish(OrderCreated, sampleOrder(orderId), { messageId });

    await eventually(async () => (await rowsOf(orderId)).length === 1, 'the row of the order');
    await new Promise((settled) => setTimeout(settled, 300)); // the duplicate's turn
    expect(await rowsOf(orderId)).toEqual([expect.objectContaining({ orderId, messageId, total: '28.20', currency: 'EUR' })]);
  });
});

function sampleOrder(orderId: string): MessageData<OrderCreated> {
  return {
    orderId,
    customerId: randomUUID(),
    email: 'alice@example.com',
    currency: 'EUR',
    items: [{ sku: 'BOOK-1', quantity: 2, unitPrice: '14.10' }],
    total: '28.20',
    placedAt: new Date().toISOString(),
    notification: { kind: 'email', address: 'alice@example.com' },
  };
}
