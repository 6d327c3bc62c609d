// Bench: how late the plugin-free delay ladder delivers. Publishes N messages with random whole-second delays into the
// library's ladder (own vhost), consumes them at the destination and reports lateness = arrival - (publish + delay).
//   node -r ./test/support/register-ts.js bench/delay-lateness.ts [--count N] [--max-delay S] [--queue-type quorum|classic]
//   [--window W]
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import amqplib, { type ChannelModel } from 'amqplib';
import type { QueueType } from '../libs/messaging/src/options/messaging-options';
import { delayRoute } from '../libs/messaging/src/retry/delay-route';
import { Topology } from '../libs/messaging/src/topology/topology';
import { TopologyNames } from '../libs/messaging/src/topology/topology-names';
import { rabbitmqctl } from '../test/support/test-broker';

const RESULTS_FILE = join(__dirname, 'results', 'delay-lateness.json');
const DESTINATION = 'bench.delay-lateness';
/** Headers of the bench's own; the library never reads them. */
const PUBLISHED_AT = 'x-bench-published-at';
const DELAY_MS = 'x-bench-delay-ms';
/** How long to wait for stragglers after the longest delay is due. */
const GRACE_MS = 30_000;

interface Settings {
  count: number;
  maxDelaySeconds: number;
  queueType: QueueType;
  /** Most unconfirmed publishes at once. */
  window: number;
}

interface Arrival {
  latenessMs: number;
  delayMs: number;
}

function settingsFromArgs(): Settings {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '3000' },
      'max-delay': { type: 'string', default: '30' },
      'queue-type': { type: 'string', default: 'quorum' },
      window: { type: 'string', default: '100' },
    },
  });
  const count = Number(values.count);
  const maxDelaySeconds = Number(values['max-delay']);
  const queueType = values['queue-type'];
  if (!Number.isInteger(count) || count < 1) throw new Error(`--count must be a positive integer, got ${values.count}`);
  if (!Number.isInteger(maxDelaySeconds) || maxDelaySeconds < 1) {
    throw new Error(`--max-delay must be a whole number of seconds >= 1, got ${values['max-delay']}`);
  }
  if (queueType !== 'quorum' && queueType !== 'classic') throw new Error(`--queue-type must be quorum or classic, got ${queueType}`);
  const window = Number(values.window);
  if (!Number.isInteger(window) || window < 1) throw new Error(`--window must be a positive integer, got ${values.window}`);
  return { count, maxDelaySeconds, queueType, window };
}

async function main(): Promise<void> {
  const settings = settingsFromArgs();
  const vhost = `bench-delay-${randomBytes(4).toString('hex')}`;
  let deleted = false;
  const deleteVhost = async (): Promise<void> => {
    if (deleted) return;
    deleted = true;
    await rabbitmqctl('delete_vhost', vhost).catch((error: unknown) => console.error(`could not delete vhost ${vhost}:`, error));
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: deleting vhost ${vhost}`);
      void deleteVhost().finally(() => process.exit(130));
    });
  }

  await rabbitmqctl('add_vhost', vhost);
  let connection: ChannelModel | undefined;
  try {
    await rabbitmqctl('set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*');
    const host = process.env.AMQP_HOST ?? '127.0.0.1';
    const port = process.env.AMQP_PORT ?? '5672';
    connection = await amqplib.connect(`amqp://guest:guest@${host}:${port}/${encodeURIComponent(vhost)}`);
    const report = await run(connection, settings);
    print(report);
    save(report);
    process.exitCode = report.missing.count > 0 || report.lateness.early > 0 || report.duplicates > 0 ? 1 : 0;
  } finally {
    await connection?.close().catch(() => undefined);
    await deleteVhost();
  }
}

async function run(connection: ChannelModel, settings: Settings) {
  const names = new TopologyNames('domain.events', 'bench');
  const topology = new Topology(names);
  const publisher = await connection.createConfirmChannel();
  await topology.declareDelayLadder(publisher);
  await topology.declareHandlerQueue(publisher, {
    queue: DESTINATION,
    messageType: DESTINATION,
    queueType: settings.queueType,
    deliveryLimit: 5,
  });

  const expected = new Map<string, number>(); // messageId -> delay ms
  const arrivals = new Map<string, Arrival>();
  let duplicates = 0;
  let allArrived: () => void = () => undefined;
  const everyoneIn = new Promise<void>((resolve) => (allArrived = resolve));

  const consumer = await connection.createChannel();
  await consumer.prefetch(1000);
  await consumer.consume(DESTINATION, (message) => {
    if (!message) return;
    const now = Date.now();
    consumer.ack(message);
    const id = String(message.properties.messageId);
    if (arrivals.has(id)) {
      duplicates++;
      return;
    }
    const headers = message.properties.headers ?? {};
    const delayMs = Number(headers[DELAY_MS]);
    arrivals.set(id, { delayMs, latenessMs: now - (Number(headers[PUBLISHED_AT]) + delayMs) });
    if (arrivals.size === settings.count) allArrived();
  });

  // A bounded window of unconfirmed publishes, as a publisher that awaits its confirms would have: the time stamp is
  // taken just before each publish, so a message must not sit for seconds in the client's buffer behind the burst.
  const confirmMs: number[] = [];
  let inFlight = 0;
  let slotFree: () => void = () => undefined;
  const publishStart = Date.now();
  for (let i = 0; i < settings.count; i++) {
    while (inFlight >= settings.window) await new Promise<void>((resolve) => (slotFree = resolve));
    const delayMs = (1 + Math.floor(Math.random() * settings.maxDelaySeconds)) * 1000;
    const messageId = `m-${i}`;
    expected.set(messageId, delayMs);
    const route = delayRoute('ladder', names, DESTINATION, delayMs);
    const publishedAt = Date.now();
    inFlight++;
    publisher.publish(
      route.exchange,
      route.routingKey,
      Buffer.from(JSON.stringify({ i })),
      {
        messageId,
        persistent: true,
        contentType: 'application/json',
        headers: { ...route.headers, [PUBLISHED_AT]: publishedAt, [DELAY_MS]: delayMs },
      },
      (error) => {
        if (error) console.error(`publish of ${messageId} was not confirmed:`, error);
        confirmMs.push(Date.now() - publishedAt);
        inFlight--;
        slotFree();
      },
    );
  }
  await publisher.waitForConfirms();
  const publishMs = Date.now() - publishStart;

  // Bounded: the longest delay, counted from the end of publishing, plus a grace period for stragglers.
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    everyoneIn.then(() => false),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), settings.maxDelaySeconds * 1000 + GRACE_MS))),
  ]);
  clearTimeout(timer);
  const wallMs = Date.now() - publishStart;
  await consumer.close().catch(() => undefined);
  await publisher.close().catch(() => undefined);

  const lateness = [...arrivals.values()].map((a) => a.latenessMs).sort((a, b) => a - b);
  const missingIds = [...expected.keys()].filter((id) => !arrivals.has(id));
  return {
    bench: 'delay-lateness',
    at: new Date().toISOString(),
    settings,
    environment: { node: process.version, cpus: cpus().length, broker: await brokerVersion() },
    publish: {
      count: settings.count,
      ms: publishMs,
      ratePerSecond: Math.round((settings.count / publishMs) * 1000),
      confirmMs: {
        p50: percentile(
          confirmMs.sort((a, b) => a - b),
          50,
        ),
        p99: percentile(confirmMs, 99),
      },
    },
    received: arrivals.size,
    duplicates,
    missing: {
      count: missingIds.length,
      timedOut,
      sample: missingIds.slice(0, 10).map((id) => ({ messageId: id, delayMs: expected.get(id) })),
    },
    lateness: {
      unit: 'ms',
      min: lateness[0] ?? null,
      p50: percentile(lateness, 50),
      p90: percentile(lateness, 90),
      p99: percentile(lateness, 99),
      max: lateness.at(-1) ?? null,
      early: lateness.filter((ms) => ms < 0).length,
    },
    byHops: byHops(arrivals),
    wallMs,
  };
}

type Report = Awaited<ReturnType<typeof run>>;

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Lateness by number of level queues the message waited in (set bits of its delay): shows what one hop costs. */
function byHops(arrivals: Map<string, Arrival>): Array<{ hops: number; count: number; p50: number | null; p99: number | null }> {
  const groups = new Map<number, number[]>();
  for (const { delayMs, latenessMs } of arrivals.values()) {
    const hops = (
      Math.round(delayMs / 1000)
        .toString(2)
        .match(/1/g) ?? []
    ).length;
    groups.set(hops, [...(groups.get(hops) ?? []), latenessMs]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a - b)
    .map(([hops, values]) => {
      values.sort((a, b) => a - b);
      return { hops, count: values.length, p50: percentile(values, 50), p99: percentile(values, 99) };
    });
}

async function brokerVersion(): Promise<string> {
  const out = await rabbitmqctl('version').catch(() => '');
  return out.trim() || 'unknown';
}

function print(report: Report): void {
  const { settings, publish, lateness, missing } = report;
  const row = (label: string, value: unknown): string => `  ${label.padEnd(22)} ${String(value)}`;
  console.log(
    `delay-lateness: ${settings.count} messages, delays 1..${settings.maxDelaySeconds} s, quorum ladder, ${settings.queueType} destination queue`,
  );
  console.log(
    [
      row('publish rate', `${publish.ratePerSecond} msg/s (${publish.count} in ${publish.ms} ms, window ${settings.window})`),
      row('confirm p50/p99', `${publish.confirmMs.p50}/${publish.confirmMs.p99} ms`),
      row('received', `${report.received}/${settings.count}${report.duplicates ? `, ${report.duplicates} duplicates` : ''}`),
      row('lateness p50', `${lateness.p50} ms`),
      row('lateness p90', `${lateness.p90} ms`),
      row('lateness p99', `${lateness.p99} ms`),
      row('lateness max', `${lateness.max} ms`),
      row('lateness min', `${lateness.min} ms`),
      row('early arrivals', lateness.early),
      row('never arrived', missing.count + (missing.timedOut ? ' (gave up at the deadline)' : '')),
      row('wall time', `${report.wallMs} ms`),
    ].join('\n'),
  );
  console.log(`  by hops (level queues waited in):`);
  for (const group of report.byHops) {
    console.log(
      `    ${group.hops} hop${group.hops === 1 ? ' ' : 's'}  n=${String(group.count).padEnd(5)} p50 ${group.p50} ms  p99 ${group.p99} ms`,
    );
  }
  for (const lost of missing.sample) console.log(`  missing: ${lost.messageId} (delay ${lost.delayMs} ms)`);
}

/** Keeps the latest run of each queue type side by side in one file. */
function save(report: Report): void {
  mkdirSync(join(__dirname, 'results'), { recursive: true });
  let runs: Record<string, unknown> = {};
  try {
    runs = JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as Record<string, unknown>;
  } catch {
    // First run, or an unreadable file: start afresh.
  }
  runs[report.settings.queueType] = report;
  writeFileSync(RESULTS_FILE, `${JSON.stringify(runs, null, 2)}\n`);
  console.log(`  written to ${RESULTS_FILE} (key "${report.settings.queueType}")`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
