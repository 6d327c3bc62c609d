/**
 * @jest-environment <rootDir>/test/support/e2e-environment.ts
 */
// Fault: the services start while their PostgreSQL server (one of this file's own, with password authentication) is
// down. They start anyway (HTTP up, live, not ready, 503 with Retry-After), stop at once on SIGTERM, and become ready
// and serve by themselves once the server is up. A server that refuses their settings (a wrong password; a database
// that does not exist, also when that shows only once the server is up) stops the start with one line and exit 1.
import { PrivatePostgres } from './support/private-postgres';
import { createTestVhost, type TestVhost } from './support/test-broker';
import { ServiceProcesses, type ServiceProcess } from './support/service-process';
import type { TestDatabase } from './support/test-database';
import { orderRequest, postOrder, waitForSettledOrder } from './support/orders-api';

const PASSWORD = 's3cret';
/** Loading and transpiling the sources takes most of a start (~3 s idle); a busy machine takes longer. */
const START_WITHIN_MS = 30_000;
const READY_AGAIN_WITHIN_MS = 5000;

// At the top level: its afterAll runs after the describe's, once the services have stopped.
const postgres = PrivatePostgres.forTestFile({ password: PASSWORD });

describe('a service started while its PostgreSQL server is down', () => {
  const services = ServiceProcesses.forTestFile();
  let vhost: TestVhost;
  let ordersDb: TestDatabase;
  let notificationsDb: TestDatabase;

  beforeAll(async () => {
    vhost = await createTestVhost('database-start');
    [ordersDb, notificationsDb] = await Promise.all([
      postgres.server.testDatabase('orders'),
      postgres.server.testDatabase('notifications'),
    ]);
    await postgres.server.stop();
  }, 60_000);

  afterAll(async () => {
    await services.stopAll(15_000);
    await vhost?.delete();
  }, 60_000);

  /** Launches `app` and waits until its HTTP server answers /health/live (not /health/ready). */
  async function launchLive(app: 'orders' | 'notifications', database: TestDatabase): Promise<ServiceProcess> {
    const service = await services.launch({ app, amqpUrl: vhost.url, database });
    const deadline = Date.now() + START_WITHIN_MS;
    for (;;) {
      if (!service.running) throw new Error(`${app} exited while its database was down\n${service.describe()}`);
      const live = await service
        .fetch('/health/live')
        .then((response) => response.status)
        .catch(() => 0);
      if (live === 200) return service;
      if (Date.now() > deadline) throw new Error(`${app} not live within ${START_WITHIN_MS} ms\n${service.describe()}`);
      await sleep(100);
    }
  }

  it('exits 0 at once on SIGTERM while it waits for its database', async () => {
    const orders = await launchLive('orders', ordersDb);
    const signalled = Date.now();

    await expect(orders.stop('SIGTERM', 10_000)).resolves.toEqual({ code: 0, signal: null });
    expect(Date.now() - signalled).toBeLessThan(3000);
  });

  it('starts, answers 503 with Retry-After and is not ready, then is ready within 5 s of the database and serves', async () => {
    const [orders, notifications] = await Promise.all([launchLive('orders', ordersDb), launchLive('notifications', notificationsDb)]);

    for (const service of [orders, notifications]) {
      const response = await service.fetch('/health/ready');
      const body = (await response.json()) as { error?: Record<string, { status: string; message?: string }> };
      expect(response.status).toBe(503);
      expect(body.error?.database).toMatchObject({ status: 'down', message: expect.stringMatching(/^not reached yet: .*ECONNREFUSED/) });
    }
    const refused = await postOrder<{ dependency?: string }>(orders, orderRequest('early@example.com'));
    expect({ status: refused.status, retryAfter: refused.headers.get('retry-after'), dependency: refused.body.dependency }).toEqual({
      status: 503,
      retryAfter: '5',
      dependency: 'database',
    });

    await postgres.server.start();
    const startedAt = Date.now();
    await Promise.all([orders.waitUntilReady(READY_AGAIN_WITHIN_MS), notifications.waitUntilReady(READY_AGAIN_WITHIN_MS)]);
    expect(Date.now() - startedAt).toBeLessThan(READY_AGAIN_WITHIN_MS);

    // Migrated in the meantime, consuming and relaying: an order goes all the way.
    const placed = await postOrder<{ id: string }>(orders, orderRequest('later@example.com'));
    expect(placed.status).toBe(202);
    await expect(waitForSettledOrder(orders, placed.body.id, 20_000)).resolves.toMatchObject({ status: 'NOTIFIED' });
    expect(orders.running && notifications.running).toBe(true);
    await services.stopAll(15_000);
  });

  it('stops the start with one line and exit 1 when the server refuses the password', async () => {
    const wrongPassword: TestDatabase = { ...ordersDb, url: postgres.server.url('orders', 'wrong') };
    const orders = await services.launch({ app: 'orders', amqpUrl: vhost.url, database: wrongPassword });

    await expect(orders.waitForExit(START_WITHIN_MS)).resolves.toEqual({ code: 1, signal: null });
    expect(orders.logs).toBe(
      `config error: DATABASE_URL="postgres://postgres:***@127.0.0.1:${postgres.server.port}/orders" was refused by the database: ` +
        'password authentication failed for user "postgres" (SQLSTATE 28P01)\n',
    );
  });

  it('stops the start with one line and exit 1 when the database turns out to be missing once the server is up', async () => {
    await postgres.server.stop();
    const missing = await postgres.server.testDatabase('no_such_database', { create: false });
    const orders = await launchLive('orders', missing);

    await postgres.server.start();

    await expect(orders.waitForExit(START_WITHIN_MS)).resolves.toEqual({ code: 1, signal: null });
    // The service had started: its log lines (stdout) come before and beside the one line on stderr.
    const configLines = orders.logs.split('\n').filter((line) => line.startsWith('config error:'));
    expect(configLines).toEqual([
      `config error: DATABASE_URL="postgres://postgres:***@127.0.0.1:${postgres.server.port}/no_such_database" was refused by the database: ` +
        'database "no_such_database" does not exist (SQLSTATE 3D000)',
    ]);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
