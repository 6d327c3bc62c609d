// Rates and handler latencies for the admin console, from the library's own Prometheus counters and histogram: each
// read is a snapshot, and a rate is the difference to a snapshot about a minute older (or to the start).
import type { MessagingMetrics } from '../../metrics/messaging-metrics';

/** Counts of one queue since the start of the process. */
export interface QueueCounts {
  consumed: number;
  acked: number;
  retried: number;
  deadLettered: number;
  deferred: number;
}

/** The handler duration histogram of one message type (all outcomes): upper bounds, ascending, and cumulative counts. */
export interface LatencyHistogram {
  bounds: number[];
  cumulative: number[];
}

export interface MetricsSnapshot {
  at: number;
  queues: Map<string, QueueCounts>;
  latency: Map<string, LatencyHistogram>;
}

export interface QueueActivity {
  consumedPerSecond: number;
  /** Retries and dead letters: deliveries whose handler failed. */
  failedPerSecond: number;
  deadLetteredPerSecond: number;
  /** Handler latency (from delivery to outcome) of the queue's message type, over the same window. */
  latency?: { p50Ms: number; p95Ms: number; count: number };
}

const NO_COUNTS: QueueCounts = { consumed: 0, acked: 0, retried: 0, deadLettered: 0, deferred: 0 };

/** Reads the library's counters and histogram into a snapshot. */
export async function readSnapshot(metrics: MessagingMetrics, at = Date.now()): Promise<MetricsSnapshot> {
  const queues = new Map<string, QueueCounts>();
  const add = async (
    metric: { get(): Promise<{ values: Array<{ value: number; labels: Record<string, unknown> }> }> },
    key: keyof QueueCounts,
  ) => {
    for (const { value, labels } of (await metric.get()).values) {
      const queue = String(labels.queue);
      const counts = queues.get(queue) ?? { ...NO_COUNTS };
      counts[key] += value;
      queues.set(queue, counts);
    }
  };
  await add(metrics.consumed, 'consumed');
  await add(metrics.acked, 'acked');
  await add(metrics.retried, 'retried');
  await add(metrics.deadLettered, 'deadLettered');
  await add(metrics.deferred, 'deferred');

  const buckets = new Map<string, Map<number, number>>();
  for (const { value, labels, metricName } of (await metrics.handlerDuration.get()).values) {
    if (!metricName?.endsWith('_bucket')) continue;
    const type = String(labels.type);
    const le = (labels as Record<string, unknown>).le;
    const bound = le === '+Inf' ? Infinity : Number(le);
    const byBound = buckets.get(type) ?? new Map<number, number>();
    byBound.set(bound, (byBound.get(bound) ?? 0) + value);
    buckets.set(type, byBound);
  }
  const latency = new Map<string, LatencyHistogram>();
  for (const [type, byBound] of buckets) {
    const bounds = [...byBound.keys()].sort((a, b) => a - b);
    latency.set(type, { bounds, cumulative: bounds.map((bound) => byBound.get(bound) ?? 0) });
  }
  return { at, queues, latency };
}

/** Keeps the snapshots it is given and answers rates over about `windowMs` (less until the process is that old). */
export class MetricsWindow {
  private readonly snapshots: MetricsSnapshot[];

  constructor(
    private readonly windowMs = 60_000,
    startedAt = Date.now(),
  ) {
    // Every counter starts at zero with the process: rates are "since the start" until a window's worth has passed.
    this.snapshots = [{ at: startedAt, queues: new Map(), latency: new Map() }];
  }

  /** Adds the latest snapshot and returns the one to measure it against (at least `windowMs` older where there is one). */
  add(latest: MetricsSnapshot): MetricsSnapshot {
    this.snapshots.push(latest);
    const cutoff = latest.at - this.windowMs;
    // The newest snapshot at least a window old is the base; the ones before it are no longer needed.
    let base = 0;
    for (let index = 0; index < this.snapshots.length - 1; index++) if (this.snapshots[index].at <= cutoff) base = index;
    this.snapshots.splice(0, base);
    return this.snapshots[0];
  }
}

/** What a queue did between two snapshots; undefined when they are less than a second apart. */
export function queueActivity(
  base: MetricsSnapshot,
  latest: MetricsSnapshot,
  queue: string,
  messageType: string,
): QueueActivity | undefined {
  const seconds = (latest.at - base.at) / 1000;
  if (seconds < 1) return undefined;
  const now = latest.queues.get(queue) ?? NO_COUNTS;
  const before = base.queues.get(queue) ?? NO_COUNTS;
  const rate = (key: keyof QueueCounts): number => Math.max(0, now[key] - before[key]) / seconds;
  const activity: QueueActivity = {
    consumedPerSecond: rate('consumed'),
    failedPerSecond: rate('retried') + rate('deadLettered'),
    deadLetteredPerSecond: rate('deadLettered'),
  };
  const histogram = latest.latency.get(messageType);
  if (histogram) {
    const earlier = base.latency.get(messageType);
    const cumulative = histogram.cumulative.map((count, index) => Math.max(0, count - (earlier?.cumulative[index] ?? 0)));
    const count = cumulative[cumulative.length - 1] ?? 0;
    if (count > 0) {
      activity.latency = {
        p50Ms: (histogramQuantile(0.5, histogram.bounds, cumulative) ?? 0) * 1000,
        p95Ms: (histogramQuantile(0.95, histogram.bounds, cumulative) ?? 0) * 1000,
        count,
      };
    }
  }
  return activity;
}

/**
 * The q-quantile of a histogram with cumulative bucket counts, interpolated linearly within its bucket, as
 * Prometheus's histogram_quantile does; in the +Inf bucket, the highest finite bound. Undefined for no observations.
 */
export function histogramQuantile(q: number, bounds: readonly number[], cumulative: readonly number[]): number | undefined {
  const total = cumulative[cumulative.length - 1] ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  const index = cumulative.findIndex((count) => count >= rank);
  if (bounds[index] === Infinity) return index > 0 ? bounds[index - 1] : undefined;
  const lower = index === 0 ? 0 : bounds[index - 1];
  const below = index === 0 ? 0 : cumulative[index - 1];
  const inBucket = cumulative[index] - below;
  return inBucket > 0 ? lower + ((bounds[index] - lower) * (rank - below)) / inBucket : lower;
}
