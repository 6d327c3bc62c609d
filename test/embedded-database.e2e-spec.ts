/**
 * @jest-environment <rootDir>/test/support/e2e-environment.ts
 */
// End to end, the newcomer's setup: both apps without DATABASE_URL, each on an embedded PGlite database in its own data
// folder. An order goes all the way to NOTIFIED, and is still there after the order service restarts.
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { createTestVhost, type TestVhost } from './support/test-broker';
import { ServiceProcesses, type ServiceProcess } from './support/service-process';
import { getOrder, listNotifications, orderRequest, placeOrder, waitForSettledOrder } from './support/orders-api';

/** A fresh PGlite folder is initialised at start (initdb in WebAssembly): ~15 s of CPU, much longer on a busy machine. */
const FIRST_START_TIMEOUT_MS = 150_000;

describe('both apps on embedded PGlite databases', () => {
  const services = ServiceProcesses.forTestFile();
  let vhost: TestVhost;
  let ordersDb: TestDatabase;
  let notificationsDb: TestDatabase;
  let orders: ServiceProcess;
  let notifications: ServiceProcess;

  beforeAll(async () => {
    [vhost, ordersDb, notificationsDb] = await Promise.all([
      createTestVhost('embedded-db'),
      createTestDatabase('orders', 'pglite'),
      createTestDatabase('notifications', 'pglite'),
    ]);
    [orders, notifications] = await Promise.all([
      services.start({ app: 'orders', amqpUrl: vhost.url, database: ordersDb }, FIRST_START_TIMEOUT_MS),
      services.start({ app: 'notifications', amqpUrl: vhost.url, database: notificationsDb }, FIRST_START_TIMEOUT_MS),
    ]);
  }, FIRST_START_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    await services.stopAll(15_000);
    await Promise.all([vhost?.delete(), ordersDb?.drop(), notificationsDb?.drop()]);
  }, 45_000);

  it('reports its embedded database up in /health/ready', async () => {
    for (const service of [orders, notifications]) {
      const response = await service.fetch('/health/ready');
      // Only the database's part: the overall status is the broker's and consumers' business too.
      expect(await response.json()).toMatchObject({ details: { database: { status: 'up', kind: 'pglite' } } });
    }
  });

  it('notifies an order and keeps it across a restart of the order service', async () => {
    const id = await placeOrder(orders, orderRequest('newcomer@example.com'));

    expect((await waitForSettledOrder(orders, id)).status).toBe('NOTIFIED');
    expect(await listNotifications(notifications, id)).toEqual([expect.objectContaining({ orderId: id, attempts: 1, status: 'SENT' })]);

    expect(await orders.stop('SIGTERM', 20_000)).toEqual({ code: 0, signal: null });
    orders = await services.start({ app: 'orders', amqpUrl: vhost.url, database: ordersDb, name: 'orders#2' });
    const reread = await getOrder(orders, id);
    expect(reread.status).toBe(200);
    expect(reread.body).toMatchObject({ id, status: 'NOTIFIED', email: 'newcomer@example.com' });
  }, 150_000);
});
