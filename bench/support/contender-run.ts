// Bench: one run of one contender. Consume: pre-fill N messages while the worker loads, let it go, time it from its
// first message to its Nth; then pace latency messages at a moderate rate. Publish: the worker publishes N and times
// itself. Either way the queue is checked and emptied afterwards, and the worker never outlives its run.
import { randomBytes } from 'node:crypto';
import { BENCH_QUEUE, BenchEvent, benchWireMessage } from './bench-message';
import type { BenchBroker } from './bench-broker';
import type { BenchEnvironment } from './bench-environment';
import { REDIS_URL } from './bench-environment';
import { ChildWorker, WorkerTimedOut, type WorkerEvent } from './child-worker';
import { epochNowMs } from './consume-recorder';
import { workerCommand, type Contender } from './contenders';
import type { BenchSettings } from './settings';

export interface RunContext {
  settings: BenchSettings;
  environment: BenchEnvironment;
  broker: BenchBroker;
  /** Where CPU profiles go (with --cpu-prof). */
  profileDir?: string;
  /** The workers' JavaScript, compiled ahead (see transpile-ahead.ts). */
  transpiledDir: string;
}

export interface ConsumeRun {
  perSecond: number;
  /** Pre-filled messages handled: N, or fewer when the run was cut off at its time limit. */
  count: number;
  ms: number;
  cpuUsPerMessage: number;
  /** The main thread's part of cpuUsPerMessage (the rest is V8's helper threads: concurrent GC, compiler). */
  mainThreadCpuUsPerMessage: number | null;
  p50: number;
  p99: number;
  /** Rate of the paced latency messages: the chosen rate, or half the measured throughput if that is lower. */
  latencyRate: number;
  rssStartMb: number;
  /** Once a tenth of the fill was handled (see consume-recorder.js). */
  rssWarmMb: number | null;
  rssEndMb: number;
  /** The JavaScript heap's live data after a full collection, at the end of the warm-up and of the fill. */
  heapLiveWarmMb: number | null;
  heapLiveEndMb: number | null;
  duplicates: number;
  /** Messages still in the queue after the worker stopped (not acked): should be 0. */
  leftInQueue: number;
  fill: { perSecond: number };
  /** Monotonic µs of the first and last pre-filled message: the part of a --cpu-prof profile that was timed. */
  windowUs: [number, number];
}

export interface PublishRun {
  perSecond: number;
  /** Messages published: N, or fewer when the run hit its time limit. */
  count: number;
  ms: number;
  cpuUsPerMessage: number;
  nacked: number;
  /** Messages that reached the queue: should be count (+ 1 for the library, which publishes one before timing). */
  inQueue: number;
  rssEndMb: number;
  /** Monotonic µs of the start and end of the timed part (see ConsumeRun). */
  windowUs: [number, number];
  /** The outbox relay's time per batch: publishing vs the rest (select, mark sent, commit). */
  phases?: Record<string, number>;
}

export interface RequestRun {
  /** Round trips per second. */
  perSecond: number;
  /** Round trips timed: N, or fewer when the run hit its time limit. */
  count: number;
  errors: number;
  ms: number;
  /** The worker's CPU (requester and responder) per round trip. */
  cpuUsPerMessage: number;
  /** Round trip, send to reply, ms. */
  p50: number;
  p99: number;
  rssEndMb: number;
  windowUs: [number, number];
}

const LOAD_TIMEOUT_MS = 120_000;
const READY_TIMEOUT_MS = 60_000;
/** How long a worker has to report after its time limit (a batch or a confirm window to finish). */
const REPORT_GRACE_MS = 30_000;
/** A breather for the broker between the end of the pre-fill and the start of consuming, the same for everyone. */
const SETTLE_MS = 500;
/** Latency is measured below capacity: at most this share of the throughput the same run measured. */
const LATENCY_LOAD = 0.5;
const SLOWEST_LATENCY_RATE = 50;

function spawnWorker(context: RunContext, contender: Contender, round: number, env: Record<string, string>): ChildWorker {
  const { args, cwd } = workerCommand(contender, `${contender.id}-${round}`, context.profileDir);
  const { settings, environment } = context;
  return new ChildWorker(contender.id, process.execPath, args, {
    cwd,
    env: {
      ...process.env,
      LOG_LEVEL: 'silent',
      BENCH_TRANSPILED_DIR: context.transpiledDir,
      AMQP_URL: environment.amqpUrl,
      REDIS_URL,
      BENCH_DATABASE_URL: environment.databaseUrl ?? '',
      BENCH_QUEUE,
      BENCH_MESSAGE_TYPE: BenchEvent.messageType,
      BENCH_QUEUE_TYPE: settings.queueType,
      BENCH_PREFETCH: String(settings.prefetch),
      ...contender.env,
      ...env,
    },
  });
}

const number = (event: WorkerEvent, key: string): number => Number(event[key]);

export async function consumeRun(context: RunContext, contender: Contender, round: number): Promise<ConsumeRun> {
  const { settings, broker } = context;
  const tag = `${contender.id}-${round}-${randomBytes(3).toString('hex')}`;
  await broker.purge();
  if (contender.needs.includes('database')) await context.environment.truncateMessagingTables();
  const worker = spawnWorker(context, contender, round, {
    BENCH_FILL: String(settings.warmup + settings.count),
    BENCH_WARMUP: String(settings.warmup),
    BENCH_LATENCY: String(settings.latencyCount),
  });
  try {
    // The worker loads its code while the queue fills; it starts consuming only once the queue is full.
    const fill = await broker.fill(settings.warmup + settings.count, settings.fillWindow, (i) =>
      benchWireMessage('fill', i, epochNowMs(), `${tag}-${i}`),
    );
    if (fill.nacked > 0) throw new Error(`pre-fill: ${fill.nacked} publishes nacked by the broker`);
    await Promise.all([worker.waitFor('loaded', LOAD_TIMEOUT_MS), new Promise((resolve) => setTimeout(resolve, SETTLE_MS))]);
    worker.send('go');
    const ready = await worker.waitFor('ready', READY_TIMEOUT_MS);
    const done = await fillDone(worker, settings.runSeconds * 1000);
    if (done.cutoff) {
      // The rest of the fill must not sit in front of the latency messages; what the worker holds it handles quickly.
      await broker.purge();
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }

    const rate = Math.max(SLOWEST_LATENCY_RATE, Math.min(settings.latencyRate, Math.floor(number(done, 'perSecond') * LATENCY_LOAD)));
    const paced = broker.paced(settings.latencyCount, rate, (i) => benchWireMessage('latency', i, epochNowMs(), `${tag}-latency-${i}`));
    const latency = await worker.waitFor('latency-done', (settings.latencyCount / rate) * 1000 + REPORT_GRACE_MS);
    await paced;
    await worker.stop();
    return {
      perSecond: number(done, 'perSecond'),
      count: number(done, 'count'),
      ms: number(done, 'ms'),
      cpuUsPerMessage: number(done, 'cpuUsPerMessage'),
      mainThreadCpuUsPerMessage: typeof done.mainThreadCpuUsPerMessage === 'number' ? done.mainThreadCpuUsPerMessage : null,
      p50: number(latency, 'p50'),
      p99: number(latency, 'p99'),
      latencyRate: rate,
      rssStartMb: number(ready, 'rssMb'),
      rssWarmMb: typeof done.rssWarmMb === 'number' ? done.rssWarmMb : null,
      heapLiveWarmMb: typeof done.heapLiveWarmMb === 'number' ? done.heapLiveWarmMb : null,
      heapLiveEndMb: typeof done.heapLiveEndMb === 'number' ? done.heapLiveEndMb : null,
      rssEndMb: number(latency, 'rssMb'),
      duplicates: number(latency, 'duplicates'),
      leftInQueue: await broker.depth(),
      fill: { perSecond: Math.round((fill.count / fill.ms) * 1000) },
      windowUs: done.windowUs as [number, number],
    };
  } finally {
    await worker.stop();
    await broker.purge().catch(() => undefined);
  }
}

/** The worker's fill report: when all N are handled, or what it handled by the time limit (then `cutoff` is true). */
async function fillDone(worker: ChildWorker, limitMs: number): Promise<WorkerEvent> {
  try {
    return await worker.waitFor('fill-done', limitMs);
  } catch (error) {
    if (!(error instanceof WorkerTimedOut)) throw error;
    worker.send('cutoff');
    return worker.waitFor('fill-done', REPORT_GRACE_MS);
  }
}

export async function publishRun(context: RunContext, contender: Contender, round: number): Promise<PublishRun> {
  const { settings, broker } = context;
  await broker.purge();
  if (contender.needs.includes('database')) await context.environment.truncateMessagingTables();
  const worker = spawnWorker(context, contender, round, {
    BENCH_COUNT: String(settings.count),
    BENCH_WARMUP: String(settings.warmup),
    BENCH_IN_FLIGHT: String(settings.inFlight),
    BENCH_BATCH: String(settings.relayBatch),
    BENCH_SECONDS: String(settings.runSeconds),
    BENCH_RUN: `${contender.id}-${round}-${randomBytes(3).toString('hex')}`,
  });
  try {
    await worker.waitFor('loaded', LOAD_TIMEOUT_MS);
    worker.send('go');
    // The outbox worker writes its N rows before it says ready.
    await worker.waitFor('ready', READY_TIMEOUT_MS);
    const done = await worker.waitFor('publish-done', settings.runSeconds * 1000 + REPORT_GRACE_MS);
    await worker.stop();
    return {
      perSecond: number(done, 'perSecond'),
      count: number(done, 'count'),
      ms: number(done, 'ms'),
      cpuUsPerMessage: number(done, 'cpuUsPerMessage'),
      nacked: number(done, 'nacked'),
      inQueue: await broker.depth(),
      rssEndMb: number(done, 'rssMb'),
      windowUs: done.windowUs as [number, number],
      ...(done.phases ? { phases: done.phases as Record<string, number> } : {}),
    };
  } finally {
    await worker.stop();
    await broker.purge().catch(() => undefined);
  }
}

/** Round trips: N / 2 requests (a round trip is two messages each way's work), the prefetch's worth in flight. */
export async function requestRun(context: RunContext, contender: Contender, round: number): Promise<RequestRun> {
  const { settings } = context;
  const worker = spawnWorker(context, contender, round, {
    BENCH_COUNT: String(Math.max(1000, Math.floor(settings.count / 2))),
    BENCH_IN_FLIGHT: String(settings.prefetch),
    BENCH_SECONDS: String(settings.runSeconds),
  });
  try {
    await worker.waitFor('loaded', LOAD_TIMEOUT_MS);
    worker.send('go');
    await worker.waitFor('ready', READY_TIMEOUT_MS);
    const done = await worker.waitFor('rpc-done', settings.runSeconds * 1000 + REPORT_GRACE_MS);
    await worker.stop();
    if (number(done, 'errors') > 0) throw new Error(`${number(done, 'errors')} requests failed`);
    return {
      perSecond: number(done, 'perSecond'),
      count: number(done, 'count'),
      errors: number(done, 'errors'),
      ms: number(done, 'ms'),
      cpuUsPerMessage: number(done, 'cpuUsPerMessage'),
      p50: number(done, 'p50'),
      p99: number(done, 'p99'),
      rssEndMb: number(done, 'rssMb'),
      windowUs: done.windowUs as [number, number],
    };
  } finally {
    await worker.stop();
  }
}
