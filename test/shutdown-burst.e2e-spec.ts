/**
 * @jest-environment <rootDir>/test/support/e2e-environment.ts
 */
// End to end: the notifier is told to stop (SIGTERM) in the middle of a burst of orders, with sends in flight. It must
// drain and exit 0 in time; a new notifier on the same queue and database finishes the rest: every order is notified,
// and exactly once.
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { createTestVhost, type TestVhost } from './support/test-broker';
import { ServiceProcesses, type ExitStatus, type ServiceProcess } from './support/service-process';
import { getOrder, listNotifications, mapConcurrently, orderRequest, placeOrder } from './support/orders-api';

const ORDERS = 200;
/** The notifier is stopped once this many orders are NOTIFIED: well into the burst, far from its end. */
const STOP_AFTER_NOTIFIED = 50;
/** Bound of the drain: SIGTERM to exit. */
const STOP_TIMEOUT_MS = 20_000;

describe('SIGTERM of the notifier during a burst of orders', () => {
  const services = ServiceProcesses.forTestFile();
  let vhost: TestVhost;
  let ordersDb: TestDatabase;
  let notificationsDb: TestDatabase;
  let orders: ServiceProcess;
  let notifications: ServiceProcess;
  let ordersSql: Client;

  beforeAll(async () => {
    [vhost, ordersDb, notificationsDb] = await Promise.all([
      createTestVhost('shutdown-burst'),
      createTestDatabase('burst_orders'),
      createTestDatabase('burst_notifications'),
    ]);
    [orders, notifications] = await Promise.all([
      services.start({ app: 'orders', amqpUrl: vhost.url, database: ordersDb }),
      services.start({ app: 'notifications', amqpUrl: vhost.url, database: notificationsDb, name: 'notifications#1' }),
    ]);
    ordersSql = new Client({ connectionString: ordersDb.url });
    await ordersSql.connect();
  }, 150_000);

  afterAll(async () => {
    await ordersSql?.end().catch(() => undefined);
    await services.stopAll(10_000);
    await Promise.all([vhost?.delete(), ordersDb?.drop(), notificationsDb?.drop()]);
  }, 45_000);

  /** Orders by status, read from the order service's database (cheap enough to poll during the burst). */
  async function statusCounts(): Promise<Record<string, number>> {
    const { rows } = await ordersSql.query<{ status: string; n: number }>('select status, count(*)::int as n from orders group by status');
    return Object.fromEntries(rows.map((row) => [row.status, row.n]));
  }

  async function waitForNotified(count: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let counts: Record<string, number> = {};
    while (Date.now() < deadline) {
      counts = await statusCounts();
      if (counts.NOTIFICATION_FAILED) throw new Error(`Orders failed their notification: ${JSON.stringify(counts)}`);
      if ((counts.NOTIFIED ?? 0) >= count) return;
      await new Promise((done) => setTimeout(done, 50));
    }
    throw new Error(`Fewer than ${count} orders NOTIFIED after ${timeoutMs} ms: ${JSON.stringify(counts)}`);
  }

  /** Stops `service` with SIGTERM and polls its readiness until it is gone: the answers seen in between, in order. */
  async function stopWatchingReadiness(service: ServiceProcess): Promise<{ exit: ExitStatus; readiness: number[]; elapsedMs: number }> {
    const started = Date.now();
    const stopping = service.stop('SIGTERM', STOP_TIMEOUT_MS);
    const readiness: number[] = [];
    while (service.running && Date.now() - started < STOP_TIMEOUT_MS) {
      const status = await service.readiness();
      if (status !== 0) readiness.push(status);
      await new Promise((done) => setTimeout(done, 20));
    }
    return { exit: await stopping, readiness, elapsedMs: Date.now() - started };
  }

  it('loses no order and duplicates no notification when the notifier is replaced mid-burst', async () => {
    // Every third recipient takes 200 ms at the provider, so that sends are in flight when the signal comes.
    const requests = Array.from({ length: ORDERS }, (_, i) =>
      orderRequest(i % 3 === 0 ? `slow-200@example.com` : `burst-${i}@example.com`),
    );
    const placing = mapConcurrently(requests, 8, (body) => placeOrder(orders, body));
    placing.catch(() => undefined); // awaited below; a failure must not surface as an unhandled rejection meanwhile

    await waitForNotified(STOP_AFTER_NOTIFIED, 30_000);
    const { exit, readiness, elapsedMs } = await stopWatchingReadiness(notifications);
    const notifiedAtStop = (await statusCounts()).NOTIFIED ?? 0;

    expect(exit).toEqual({ code: 0, signal: null });
    expect(elapsedMs).toBeLessThan(STOP_TIMEOUT_MS);
    // Readiness goes down as soon as shutdown starts and stays down (if an answer could be caught in between).
    const firstDown = readiness.indexOf(503);
    if (firstDown >= 0) expect(readiness.slice(firstDown)).not.toContain(200);
    expect(notifiedAtStop).toBeLessThan(ORDERS);

    const ids = await placing;
    expect(new Set(ids).size).toBe(ORDERS);
    const successor = await services.start(
      { app: 'notifications', amqpUrl: vhost.url, database: notificationsDb, name: 'notifications#2' },
      60_000,
    );
    await waitForNotified(ORDERS, 30_000);

    // Checked the way a client would: every order NOTIFIED, with exactly one notification.
    const views = await mapConcurrently(ids, 8, async (id) => ({
      id,
      status: (await getOrder(orders, id)).body.status,
      notifications: (await listNotifications(successor, id)).length,
    }));
    expect(views.filter((view) => view.status !== 'NOTIFIED')).toEqual([]);
    expect(views.filter((view) => view.notifications !== 1)).toEqual([]);
  }, 170_000);
});
