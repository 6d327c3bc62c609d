// `demo`: starts both sample services, places a stream of orders (with transient failures, a rejected recipient, a
// notification slower than the order saga's timeout, a poison message and duplicates), shows progress, and ends with a
// table of what happened to each.
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import amqplib from 'amqplib';
import { Client } from 'pg';
import { amqpUrlFromEnv, DEFAULT_AMQP_URL, envPort, envString, MessageHeaders, redactUrlList, splitUrlList } from '@app/messaging';
import { databaseUrlFromEnv, projectRoot } from '@app/persistence';
import { OrderCreated, OrderNotificationOverdue } from '@app/contracts';
import type { CommandIo } from '../dlq/dlq-command';
import { ServiceRunner } from './service-runner';

const USAGE = `Usage: npm run demo [-- --orders <n>] [--exit]

Starts the orders (port ${3000}) and notifications (port ${3001}) services from dist/, places <n> orders (default 24),
and prints what happened. With a terminal, the services keep running after the table until Ctrl-C; --exit (or no
terminal) stops them at once. Uses the embedded database, or PostgreSQL when DATABASE_URL is set (two databases are
made from it: <name>_orders and <name>_notifications). The orders service waits NOTIFICATION_TIMEOUT_MS (default here
5000) for each notification before its saga marks the order overdue and publishes an alert.`;

type Status = 'PENDING' | 'OVERDUE' | 'NOTIFIED' | 'NOTIFICATION_FAILED';

interface Placed {
  id: string;
  email: string;
  status: Status;
  /** Its saga's history went through OVERDUE (its notification came later than the timeout, or not at all). */
  wasOverdue?: boolean;
}

/** The demo's notification timeout: short enough that the slowest recipient (transient-3, ~7 s) is overdue first. */
const DEMO_NOTIFICATION_TIMEOUT_MS = '5000';

export async function runDemoCommand(argv: string[], io: CommandIo): Promise<number> {
  let values: { orders?: string; exit?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { orders: { type: 'string' }, exit: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const count = Number(values.orders ?? 24);
  if (!Number.isInteger(count) || count < 8 || count > 5000) {
    io.stderr.write(`--orders must be an integer from 8 to 5000\n${USAGE}\n`);
    return 2;
  }

  const root = projectRoot();
  // Read and checked before anything starts: a wrong one ends the command with one line (see main.ts).
  const env = process.env;
  const amqpUrl = amqpUrlFromEnv(env) ?? DEFAULT_AMQP_URL;
  const adminToken = envString(env, 'ADMIN_TOKEN') ?? randomBytes(12).toString('hex');
  const databaseUrl = databaseUrlFromEnv(env);
  const notificationsPort = envPort(env, 'NOTIFICATIONS_PORT') ?? 3001;
  const ordersPort = envPort(env, 'ORDERS_PORT') ?? 3000;
  const databases = await serviceDatabases(databaseUrl);
  const common = { AMQP_URL: amqpUrl, ADMIN_TOKEN: adminToken };
  const notifications = new ServiceRunner({
    name: 'notifications',
    entry: join(root, 'dist/apps/notifications/src/main.js'),
    port: notificationsPort,
    env: { ...common, ...(databases ? { DATABASE_URL: databases.notifications } : {}) },
    logFile: join(root, '.data/demo/notifications.log'),
  });
  const orders = new ServiceRunner({
    name: 'orders',
    entry: join(root, 'dist/apps/orders/src/main.js'),
    port: ordersPort,
    env: {
      ...common,
      NOTIFICATION_TIMEOUT_MS: envString(env, 'NOTIFICATION_TIMEOUT_MS') ?? DEMO_NOTIFICATION_TIMEOUT_MS,
      ...(databases ? { DATABASE_URL: databases.orders } : {}),
    },
    logFile: join(root, '.data/demo/orders.log'),
  });

  let stopping: Promise<void> | undefined;
  const stopAll = (): Promise<void> =>
    (stopping ??= (async () => {
      io.stdout.write('\nStopping the services (they finish in-flight work first)...\n');
      const codes = await Promise.all([orders.stop(), notifications.stop()]);
      io.stdout.write(`Stopped: orders exit ${codes[0]}, notifications exit ${codes[1]}.\n`);
    })());
  const onSignal = (): void => {
    void stopAll().then(() => process.exit(0));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    io.stdout.write(`Broker ${redactUrlList(amqpUrl)}; database: ${databases ? 'PostgreSQL' : 'embedded (PGlite, .data/)'}\n`);
    io.stdout.write('Starting notifications and orders (logs in .data/demo/)...\n');
    // Consumers first: their queues must exist before the first order.created is published.
    notifications.start();
    await notifications.waitUntilReady(90_000);
    orders.start();
    await orders.waitUntilReady(90_000);

    const dlq = 'notifications.order.created';
    const deadBefore = await deadLetterCount(notifications.url, dlq, adminToken);
    const alerts = await watchOverdueAlerts(amqpUrl);
    const started = Date.now();
    const placed = await placeOrders(orders.url, count);
    const repeated = await repeatWithIdempotencyKey(orders.url, placed);
    const duplicateMessage = await publishDuplicateAndPoison(amqpUrl);
    io.stdout.write(`Placed ${placed.length} orders; sent a repeated request, a duplicate message and a poison message.\n`);

    await followOrders(orders.url, placed, io, started);
    const attempts = await notificationAttempts(notifications.url, placed);
    const duplicateNotifications = await notificationCount(notifications.url, duplicateMessage.orderId);
    const deadAfter = await deadLetterCount(notifications.url, dlq, adminToken);
    await readHistories(orders.url, placed);
    const overdueAlerts = await alerts.stop();

    const notified = placed.filter((order) => order.status === 'NOTIFIED');
    const failed = placed.filter((order) => order.status === 'NOTIFICATION_FAILED');
    const rows: Array<[string, string]> = [
      ['orders placed', String(placed.length)],
      ['notified', String(notified.length)],
      ['notified after retries', String(attempts.filter((n) => n > 1).length)],
      ['dead-lettered (this run)', deadBefore === undefined || deadAfter === undefined ? 'n/a' : String(deadAfter - deadBefore)],
      ['failed and compensated', String(failed.length)],
      ['overdue, then notified late (saga)', String(notified.filter((order) => order.wasOverdue).length)],
      ['overdue alerts published', String(overdueAlerts)],
      ['still pending', String(placed.length - notified.length - failed.length)],
      ['duplicate requests answered once', repeated ? '1' : '0'],
      ['duplicate messages skipped', duplicateNotifications === 1 ? '1' : `0 (found ${duplicateNotifications} notifications)`],
    ];
    io.stdout.write(`\n${table(rows)}\n`);
    io.stdout.write(
      [
        '',
        `Orders API       ${orders.url}/orders/${placed[0].id}`,
        `Notifications    ${notifications.url}/notifications?orderId=${placed[0].id}`,
        `Admin console    ${notifications.url}/admin   ${orders.url}/admin   (sign in with the admin token ${adminToken})`,
        `Dead letters     ${notifications.url}/admin/dead-letters/${dlq}   (Authorization: Bearer ${adminToken})`,
        `                 or: npm run dlq -- list ${dlq}`,
        `Health           ${orders.url}/health/ready  ${notifications.url}/health/ready`,
        '',
      ].join('\n'),
    );
    const pending = placed.length - notified.length - failed.length;
    if (io.isTTY && !values.exit) {
      io.stdout.write('The services keep running. Press Ctrl-C to stop them.\n');
      await new Promise(() => undefined);
    }
    await stopAll();
    return pending === 0 ? 0 : 1;
  } catch (error) {
    io.stderr.write(`Demo failed: ${(error as Error).message}\n`);
    await stopAll();
    return 1;
  }
}

/** With DATABASE_URL, one database per service (created when missing), as each service owns its data. */
async function serviceDatabases(url: string | undefined): Promise<{ orders: string; notifications: string } | undefined> {
  if (!url) return undefined;
  const base = new URL(url);
  const name = base.pathname.replace(/^\//, '') || 'postgres';
  const result: Record<string, string> = {};
  const client = new Client({ connectionString: url });
  // A server that goes away under it must fail the query below, not end the process with an unhandled 'error' event.
  client.on('error', () => undefined);
  await client.connect();
  try {
    for (const service of ['orders', 'notifications']) {
      const database = `${name}_${service}`;
      const exists = await client.query('select 1 from pg_database where datname = $1', [database]);
      if (exists.rowCount === 0) await client.query(`create database "${database.replace(/"/g, '""')}"`);
      const target = new URL(url);
      target.pathname = `/${database}`;
      result[service] = target.toString();
    }
  } finally {
    await client.end();
  }
  return { orders: result.orders, notifications: result.notifications };
}

/** Mostly good recipients, a few that fail transiently first, one the provider rejects, two slow ones. */
function recipient(index: number): string {
  const special = [
    'transient-1@example.com',
    'transient-2@example.com',
    'reject@example.com',
    'slow-400@example.com',
    'transient-3@example.com',
  ];
  return index % 5 === 2 && index / 5 < special.length ? special[Math.floor(index / 5)] : `customer-${index}@example.com`;
}

async function placeOrders(baseUrl: string, count: number): Promise<Placed[]> {
  const placed: Placed[] = [];
  for (let i = 0; i < count; i++) {
    const email = recipient(i);
    const body = {
      customerId: randomUUID(),
      email,
      currency: 'EUR',
      items: [
        { sku: `BOOK-${(i % 7) + 1}`, quantity: (i % 3) + 1, unitPrice: '12.50' },
        { sku: 'PEN-1', quantity: 1, unitPrice: '1.99' },
      ],
    };
    const response = await fetch(`${baseUrl}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-correlation-id': `demo-order-${i}` },
      body: JSON.stringify(body),
    });
    if (response.status !== 202) throw new Error(`POST /orders answered ${response.status}: ${await response.text()}`);
    const { id } = (await response.json()) as { id: string };
    placed.push({ id, email, status: 'PENDING' });
  }
  return placed;
}

/** The same request twice with one Idempotency-Key: the second answer names the first order. */
async function repeatWithIdempotencyKey(baseUrl: string, placed: Placed[]): Promise<boolean> {
  const key = `demo-${randomUUID()}`;
  const body = JSON.stringify({
    customerId: randomUUID(),
    email: 'repeat@example.com',
    currency: 'EUR',
    items: [{ sku: 'MUG-1', quantity: 1, unitPrice: '8.00' }],
  });
  const send = async (): Promise<string> => {
    const response = await fetch(`${baseUrl}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body,
    });
    return ((await response.json()) as { id: string }).id;
  };
  const first = await send();
  const second = await send();
  placed.push({ id: first, email: 'repeat@example.com', status: 'PENDING' });
  return first === second;
}

/** An order.created for an order of no one, delivered twice with one message id, and a body that fails validation. */
async function publishDuplicateAndPoison(amqpUrl: string): Promise<{ orderId: string }> {
  // The first node of a cluster's list will do for this one connection.
  const connection = await amqplib.connect(splitUrlList(amqpUrl)[0]);
  try {
    const channel = await connection.createConfirmChannel();
    const orderId = randomUUID();
    const message = {
      orderId,
      customerId: randomUUID(),
      email: 'twice@example.com',
      currency: 'EUR',
      items: [{ sku: 'CARD-1', quantity: 1, unitPrice: '3.00' }],
      total: '3.00',
      placedAt: new Date().toISOString(),
      notification: { kind: 'email', address: 'twice@example.com' },
    };
    const properties = {
      messageId: randomUUID(),
      type: OrderCreated.messageType,
      contentType: 'application/json',
      persistent: true,
      headers: { [MessageHeaders.correlationId]: 'demo-duplicate', [MessageHeaders.schemaVersion]: OrderCreated.schemaVersion },
    };
    for (let i = 0; i < 2; i++)
      channel.publish('domain.events', OrderCreated.messageType, Buffer.from(JSON.stringify(message)), properties);
    channel.publish('domain.events', OrderCreated.messageType, Buffer.from(JSON.stringify({ orderId: 'not-a-uuid', total: 'free' })), {
      ...properties,
      messageId: randomUUID(),
      headers: { [MessageHeaders.correlationId]: 'demo-poison' },
    });
    await channel.waitForConfirms();
    return { orderId };
  } finally {
    await connection.close();
  }
}

async function followOrders(baseUrl: string, placed: Placed[], io: CommandIo, started: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    await Promise.all(
      placed
        .filter((order) => order.status === 'PENDING' || order.status === 'OVERDUE')
        .map(async (order) => {
          const response = await fetch(`${baseUrl}/orders/${order.id}`);
          if (response.ok) order.status = ((await response.json()) as { status: Status }).status;
        }),
    );
    const notified = placed.filter((order) => order.status === 'NOTIFIED').length;
    const failed = placed.filter((order) => order.status === 'NOTIFICATION_FAILED').length;
    const pending = placed.length - notified - failed;
    const overdue = placed.filter((order) => order.status === 'OVERDUE').length;
    const elapsed = `${((Date.now() - started) / 1000).toFixed(1)} s`;
    const line = `  notified ${notified}  failed ${failed}  pending ${pending} (overdue ${overdue})  ${elapsed}`;
    io.stdout.write(io.isTTY ? `\r${line}   ` : `${line}\n`);
    if (pending === 0 || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, io.isTTY ? 300 : 2000));
  }
  io.stdout.write('\n');
}

/** Whether each order's saga went through OVERDUE, from its history (GET /orders/:id). */
async function readHistories(baseUrl: string, placed: Placed[]): Promise<void> {
  await Promise.all(
    placed.map(async (order) => {
      const response = await fetch(`${baseUrl}/orders/${order.id}`);
      if (!response.ok) return;
      const { history = [] } = (await response.json()) as { history?: Array<{ status: string }> };
      order.wasOverdue = history.some((entry) => entry.status === 'OVERDUE');
    }),
  );
}

/** Counts the order.notification-overdue alerts published while the demo runs (a queue of its own, gone when it stops). */
async function watchOverdueAlerts(amqpUrl: string): Promise<{ stop(): Promise<number> }> {
  const connection = await amqplib.connect(splitUrlList(amqpUrl)[0]);
  const channel = await connection.createChannel();
  await channel.assertExchange('domain.events', 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, 'domain.events', OrderNotificationOverdue.messageType);
  let count = 0;
  await channel.consume(queue, () => void count++, { noAck: true });
  return {
    async stop() {
      await connection.close().catch(() => undefined);
      return count;
    },
  };
}

async function notificationAttempts(baseUrl: string, placed: Placed[]): Promise<number[]> {
  const attempts: number[] = [];
  for (const order of placed.filter((o) => o.status === 'NOTIFIED')) {
    const response = await fetch(`${baseUrl}/notifications?orderId=${order.id}`);
    const list = (await response.json()) as Array<{ attempts: number }>;
    if (list[0]) attempts.push(list[0].attempts);
  }
  return attempts;
}

async function notificationCount(baseUrl: string, orderId: string): Promise<number> {
  const deadline = Date.now() + 10_000;
  let count = 0;
  while (Date.now() < deadline) {
    const response = await fetch(`${baseUrl}/notifications?orderId=${orderId}`);
    count = ((await response.json()) as unknown[]).length;
    if (count > 0) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return count;
}

async function deadLetterCount(baseUrl: string, queue: string, token: string): Promise<number | undefined> {
  const response = await fetch(`${baseUrl}/admin/dead-letters/${queue}`, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) return undefined;
  return ((await response.json()) as { total: number }).total;
}

function table(rows: Array<[string, string]>): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  const valueWidth = Math.max(...rows.map(([, value]) => value.length));
  const line = `+${'-'.repeat(width + 2)}+${'-'.repeat(valueWidth + 2)}+`;
  return [line, ...rows.map(([label, value]) => `| ${label.padEnd(width)} | ${value.padStart(valueWidth)} |`), line].join('\n');
}
