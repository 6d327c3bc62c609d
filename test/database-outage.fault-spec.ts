/**
 * @jest-environment <rootDir>/test/support/e2e-environment.ts
 */
// Fault: PostgreSQL stops (a fast shutdown, every session ended) under a steady load of orders, and starts again a
// few seconds later. Both services are real processes on a PostgreSQL server of this file's own (the machine's
// shared one is never touched). Neither exits; while the database is away POST /orders answers 503 with Retry-After
// and readiness names the database; once it is back both are ready again within 5 s, and every order placed (a client
// retrying a 503 with the same Idempotency-Key) is there once and notified once, at its first attempt, with no dead
// letter anywhere.
import type { ChannelModel } from 'amqplib';
import { PrivatePostgres } from './support/private-postgres';
import { createTestVhost, type TestVhost } from './support/test-broker';
import { ServiceProcesses, type ServiceProcess } from './support/service-process';
import { orderRequest, postOrder, type OrderRequestBody } from './support/orders-api';

/** Load before the outage, the outage itself, and load after it, in ms. */
const BEFORE_MS = 2000;
const OUTAGE_MS = 5000;
const AFTER_MS = 3000;
const WORKERS = 4;
/** The bound of the return: ready again this soon after the server accepts connections. */
const READY_AGAIN_WITHIN_MS = 5000;
/** As operators see them in the management UI: `<service>.<message type>.dlq`. */
const DEAD_LETTER_QUEUES = ['notifications.order.created.dlq', 'orders.notification.sent.dlq', 'orders.fault.order.created.dlq'];

interface Answer {
  sentAt: number;
  at: number;
  status: number;
  retryAfter: string | null;
  dependency?: string;
}

interface Placement {
  key: string;
  body: OrderRequestBody;
  answers: Answer[];
  id?: string;
}

// At the top level: its afterAll runs after the describe's, once the services have stopped.
const postgres = PrivatePostgres.forTestFile();

describe('a PostgreSQL outage under a steady load of orders', () => {
  const services = ServiceProcesses.forTestFile();
  let vhost: TestVhost;
  let orders: ServiceProcess;
  let notifications: ServiceProcess;
  let broker: ChannelModel;

  beforeAll(async () => {
    vhost = await createTestVhost('database-outage');
    const [ordersDb, notificationsDb] = await Promise.all([
      postgres.server.testDatabase('orders'),
      postgres.server.testDatabase('notifications'),
    ]);
    [orders, notifications] = await Promise.all([
      services.start({ app: 'orders', amqpUrl: vhost.url, database: ordersDb }),
      services.start({ app: 'notifications', amqpUrl: vhost.url, database: notificationsDb }),
    ]);
    broker = await vhost.connect();
  }, 120_000);

  afterAll(async () => {
    await broker?.close().catch(() => undefined);
    await services.stopAll(15_000);
    await vhost?.delete();
  }, 60_000);

  /** POSTs the order until it is accepted, retrying a 503 with the same Idempotency-Key as a client would. */
  async function placeUntilAccepted(placement: Placement): Promise<void> {
    for (;;) {
      const sentAt = Date.now();
      let answer: Answer;
      try {
        const response = await postOrder<{ id?: string; dependency?: string }>(orders, placement.body, {
          'idempotency-key': placement.key,
        });
        answer = {
          sentAt,
          at: Date.now(),
          status: response.status,
          retryAfter: response.headers.get('retry-after'),
          dependency: response.body.dependency,
        };
        if (response.status === 202) placement.id = response.body.id;
      } catch {
        answer = { sentAt, at: Date.now(), status: 0, retryAfter: null }; // no answer at all: the process is gone
      }
      placement.answers.push(answer);
      if (answer.status !== 503) return;
      await sleep(200); // shorter than Retry-After: the test wants to see every 503 there is
    }
  }

  async function readinessOf(service: ServiceProcess): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await service.fetch('/health/ready');
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function ordersByStatus(): Promise<Record<string, number>> {
    const rows = await postgres.server.query<{ status: string; n: number }>(
      'select status, count(*)::int as n from orders group by status',
      'orders',
    );
    return Object.fromEntries(rows.map((row) => [row.status, row.n]));
  }

  it('answers 503 only while it lasts, is ready again within 5 s, and loses, duplicates and dead-letters nothing', async () => {
    const placements: Placement[] = [];
    let loadUntil = Number.POSITIVE_INFINITY;
    let sequence = 0;
    const worker = async (): Promise<void> => {
      while (Date.now() < loadUntil) {
        const placement: Placement = {
          key: `outage-${process.pid}-${sequence++}`,
          body: orderRequest(`steady-${sequence}@example.com`),
          answers: [],
        };
        placements.push(placement);
        await placeUntilAccepted(placement);
        await sleep(40);
      }
    };
    const load = Promise.all(Array.from({ length: WORKERS }, worker));

    await sleep(BEFORE_MS);
    const stopRequestedAt = Date.now();
    await postgres.server.stop('fast');

    // Down: each process still answers; readiness is 503 and names the database.
    await sleep(1500);
    for (const service of [orders, notifications]) {
      expect((await service.fetch('/health/live')).status).toBe(200);
      const readiness = await readinessOf(service);
      expect(readiness.status).toBe(503);
      expect(readiness.body.error).toMatchObject({ database: { status: 'down' } });
    }

    await sleep(OUTAGE_MS - 1500);
    await postgres.server.start();
    const startedAt = Date.now();
    for (const service of [orders, notifications]) {
      while ((await service.readiness()) !== 200) {
        expect(Date.now() - startedAt).toBeLessThan(READY_AGAIN_WITHIN_MS);
        await sleep(100);
      }
    }
    const readyAgainAfterMs = Date.now() - startedAt;

    loadUntil = Date.now() + AFTER_MS;
    await load;

    // Every order is placed once and notified once, at its first attempt.
    const deadline = Date.now() + 30_000;
    let counts = await ordersByStatus();
    while ((counts.NOTIFIED ?? 0) < placements.length && Date.now() < deadline) {
      await sleep(200);
      counts = await ordersByStatus();
    }
    const answers = placements.flatMap((placement) => placement.answers);
    const refusals = answers.filter((answer) => answer.status !== 202);
    const notified = await postgres.server.query<{ orders: number; rows: number; attempts: number[] }>(
      'select count(distinct order_id)::int as orders, count(*)::int as rows, array_agg(distinct attempts) as attempts from notifications',
      'notifications',
    );
    const keys = await postgres.server.query<{ n: number }>('select count(*)::int as n from idempotency_keys', 'orders');

    expect(orders.running && notifications.running).toBe(true);
    expect(placements.filter((placement) => placement.id === undefined)).toEqual([]);
    expect(counts).toEqual({ NOTIFIED: placements.length });
    expect(keys).toEqual([{ n: placements.length }]);
    expect(new Set(placements.map((placement) => placement.id)).size).toBe(placements.length);
    expect(notified).toEqual([{ orders: placements.length, rows: placements.length, attempts: [1] }]);
    for (const queue of DEAD_LETTER_QUEUES) {
      const channel = await broker.createChannel();
      expect({ queue, deadLetters: (await channel.checkQueue(queue)).messageCount }).toEqual({ queue, deadLetters: 0 });
      await channel.close();
    }
    // The outage was felt, only while it lasted, and only as 503 with Retry-After naming the database.
    expect(refusals.length).toBeGreaterThan(0);
    for (const refusal of refusals) {
      expect({ status: refusal.status, retryAfter: refusal.retryAfter, dependency: refusal.dependency }).toEqual({
        status: 503,
        retryAfter: '5',
        dependency: 'database',
      });
      expect(refusal.at).toBeGreaterThanOrEqual(stopRequestedAt);
      expect(refusal.sentAt).toBeLessThanOrEqual(startedAt + 1000);
    }
    expect(readyAgainAfterMs).toBeLessThan(READY_AGAIN_WITHIN_MS);
    // The consumers paused while it lasted, and resumed by themselves.
    for (const service of [orders, notifications]) {
      expect(service.logs).toContain('"event":"consumer.paused"');
      expect(service.logs).toContain('"event":"consumer.resumed"');
    }
    if (process.env.E2E_DEBUG === '1') {
      const deferred = (orders.logs + notifications.logs).split('"event":"message.deferred"').length - 1;
      console.log({ placements: placements.length, refusals: refusals.length, readyAgainAfterMs, deferred });
    }
  }, 90_000);
});

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
