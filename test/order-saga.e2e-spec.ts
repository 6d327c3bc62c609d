/**
 * @jest-environment <rootDir>/test/support/e2e-environment.ts
 */
// End to end: the order saga in the real processes, on PostgreSQL and their own vhost. With NOTIFICATION_TIMEOUT_MS=3000
// an order whose e-mail takes ~7 s of retries is OVERDUE at ~3 s (one alert) and NOTIFIED later, and GET /orders/:id
// tells the story; operators list it at /admin/sagas. Its timeout fires exactly once even when the orders process is
// SIGKILLed while the timeout waits in the broker, and started again.
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { createTestVhost, eventually, type TestVhost } from './support/test-broker';
import { ServiceProcesses, type ServiceProcess } from './support/service-process';
import { getOrder, orderRequest, placeOrder, type OrderView } from './support/orders-api';

const EXCHANGE = 'domain.events';
const ALERT = 'order.notification-overdue';
const ADMIN_TOKEN = 'saga-e2e-token';
/** A start from TypeScript sources can take over a minute on a loaded machine. */
const START_MS = 150_000;

/** A queue of the test's own bound to the overdue alerts: every alert the orders service publishes lands here. */
async function watchAlerts(broker: ChannelModel): Promise<{ alerts: Array<{ orderId: string }>; channel: Channel }> {
  const channel = await broker.createChannel();
  await channel.assertExchange(EXCHANGE, 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, EXCHANGE, ALERT);
  const alerts: Array<{ orderId: string }> = [];
  await channel.consume(
    queue,
    (message: ConsumeMessage | null) => {
      if (message) alerts.push(JSON.parse(message.content.toString('utf8')) as { orderId: string });
    },
    { noAck: true },
  );
  return { alerts, channel };
}

async function orderIn(orders: ServiceProcess, id: string, status: string, timeoutMs: number): Promise<OrderView> {
  let last: OrderView | undefined;
  await eventually(
    async () => {
      last = (await getOrder(orders, id)).body;
      return last.status === status;
    },
    `order ${id} ${status} (last seen ${last?.status})`,
    timeoutMs,
  );
  return last!;
}

describe('the order saga across the orders and notifications processes', () => {
  const services = ServiceProcesses.forTestFile();
  let vhost: TestVhost;
  let ordersDb: TestDatabase;
  let notificationsDb: TestDatabase;
  let orders: ServiceProcess;
  let broker: ChannelModel;

  beforeAll(async () => {
    [vhost, ordersDb, notificationsDb] = await Promise.all([
      createTestVhost('order-saga'),
      createTestDatabase('order_saga_orders'),
      createTestDatabase('order_saga_notifications'),
    ]);
    [orders] = await Promise.all([
      services.start(
        {
          app: 'orders',
          amqpUrl: vhost.url,
          database: ordersDb,
          env: { NOTIFICATION_TIMEOUT_MS: '3000', ADMIN_TOKEN },
        },
        START_MS,
      ),
      services.start({ app: 'notifications', amqpUrl: vhost.url, database: notificationsDb }, START_MS),
    ]);
    broker = await vhost.connect();
  }, START_MS + 30_000);

  afterAll(async () => {
    await broker?.close().catch(() => undefined);
    await services.stopAll(15_000);
    await Promise.all([vhost?.delete(), ordersDb?.drop(), notificationsDb?.drop()]);
  }, 60_000);

  it('marks a slow notification OVERDUE at ~3 s with exactly one alert, then NOTIFIED when it comes', async () => {
    const { alerts, channel } = await watchAlerts(broker);
    try {
      const placedAt = Date.now();
      const id = await placeOrder(orders, orderRequest('transient-3@example.test'));

      const overdue = await orderIn(orders, id, 'OVERDUE', 10_000);
      const overdueAfterMs = Date.now() - placedAt;
      expect(overdueAfterMs).toBeGreaterThanOrEqual(3000);
      const notified = await orderIn(orders, id, 'NOTIFIED', 30_000);

      expect(overdue.history.map((entry) => entry.status)).toEqual(['PENDING', 'OVERDUE']);
      expect(notified.history).toEqual([
        expect.objectContaining({ status: 'PENDING', note: 'order placed' }),
        expect.objectContaining({ status: 'OVERDUE', cause: 'orders.notification-timed-out', note: 'no notification within 3000 ms' }),
        expect.objectContaining({ status: 'NOTIFIED', cause: 'notification.sent', note: 'sent after 4 attempt(s), late' }),
      ]);
      expect(alerts.filter((alert) => alert.orderId === id)).toEqual([expect.objectContaining({ orderId: id, timeoutMs: 3000 })]);

      const admin = await orders.fetch(`/admin/sagas/order-notification/${id}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(admin.status).toBe(200);
      expect(await admin.json()).toMatchObject({ type: 'order-notification', key: id, state: 'NOTIFIED', completedAt: expect.any(String) });
      expect((await orders.fetch('/admin/sagas')).status).toBe(401);
    } finally {
      await channel.close();
    }
  }, 60_000);

  it('lists the orders still waiting for their notification to operators, and in the console', async () => {
    const id = await placeOrder(orders, orderRequest('transient-2@example.test'));
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };

    const listed = await orders.fetch('/admin/sagas?type=order-notification', { headers });
    expect(listed.status).toBe(200);
    const body = (await listed.json()) as { total: number; sagas: Array<{ key: string; waitingFor?: string }> };
    expect(body.sagas).toContainEqual(expect.objectContaining({ key: id, waitingFor: 'notification.sent' }));
    const overview = (await (await orders.fetch('/admin/api/overview', { headers })).json()) as { sagas: unknown };
    expect(overview.sagas).toMatchObject({
      reported: true,
      sagas: expect.arrayContaining([expect.objectContaining({ id, type: 'order-notification', waitingFor: 'notification.sent' })]),
    });
    await orderIn(orders, id, 'NOTIFIED', 20_000);
    const after = (await (await orders.fetch('/admin/sagas?type=order-notification', { headers })).json()) as typeof body;
    expect(after.sagas.map((saga) => saga.key)).not.toContain(id);
  }, 30_000);
});

describe('the order saga when the orders process is killed while its timeout waits', () => {
  const services = ServiceProcesses.forTestFile();
  let vhost: TestVhost;
  let ordersDb: TestDatabase;
  let broker: ChannelModel;

  beforeAll(async () => {
    [vhost, ordersDb] = await Promise.all([createTestVhost('order-saga-kill'), createTestDatabase('order_saga_kill')]);
    broker = await vhost.connect();
  }, 60_000);

  afterAll(async () => {
    await broker?.close().catch(() => undefined);
    await services.stopAll(15_000);
    await Promise.all([vhost?.delete(), ordersDb?.drop()]);
  }, 60_000);

  it(
    'fires the timeout exactly once after a SIGKILL and a restart: one OVERDUE, one alert',
    async () => {
      // No notification service: nothing ever notifies the order, so only its timeout moves it.
      const env = { NOTIFICATION_TIMEOUT_MS: '4000' };
      const first = await services.start({ app: 'orders', amqpUrl: vhost.url, database: ordersDb, env, name: 'orders (1)' }, START_MS);
      const { alerts, channel } = await watchAlerts(broker);
      const observer = await broker.createChannel();
      try {
        const id = await placeOrder(first, orderRequest('nobody-answers@example.com'));
        // The timeout has left the outbox: it waits in the delay ladder (4 s: the level of 4 s), in the broker.
        await eventually(async () => (await observer.checkQueue('delay.level.02')).messageCount === 1, 'the timeout in the ladder', 10_000);

        await first.stop('SIGKILL');
        // It comes due while nobody consumes: it waits in the service's scheduled queue.
        await eventually(async () => (await observer.checkQueue('orders.scheduled')).messageCount === 1, 'the due timeout waiting', 15_000);
        const second = await services.start({ app: 'orders', amqpUrl: vhost.url, database: ordersDb, env, name: 'orders (2)' }, START_MS);

        const order = await orderIn(second, id, 'OVERDUE', 15_000);
        // Everything the timeout could still become has been consumed: a second firing would be in the alerts by now.
        await eventually(
          async () =>
            (await observer.checkQueue('orders.scheduled')).messageCount === 0 &&
            (await observer.checkQueue('orders.orders.notification-timed-out')).messageCount === 0 &&
            alerts.length >= 1,
          'the queues drained',
          10_000,
        );
        expect(order.history.map((entry) => entry.status)).toEqual(['PENDING', 'OVERDUE']);
        expect(alerts).toEqual([expect.objectContaining({ orderId: id, timeoutMs: 4000 })]);
        expect((await observer.checkQueue('orders.orders.notification-timed-out.dlq')).messageCount).toBe(0);
      } finally {
        await observer.close().catch(() => undefined);
        await channel.close().catch(() => undefined);
      }
    },
    2 * START_MS + 60_000,
  );
});
