import { MessagingMetrics } from '../../metrics/messaging-metrics';
import { histogramQuantile, MetricsWindow, queueActivity, readSnapshot, type MetricsSnapshot } from './metrics-window';

function snapshot(at: number, consumed: number, retried = 0, deadLettered = 0): MetricsSnapshot {
  return {
    at,
    queues: new Map([['svc.job', { consumed, acked: consumed - retried - deadLettered, retried, deadLettered, deferred: 0 }]]),
    latency: new Map(),
  };
}

describe('histogramQuantile', () => {
  it('interpolates within the bucket that holds the rank, as Prometheus does', () => {
    // 10 observations up to 0.1 s, 10 more up to 0.5 s.
    expect(histogramQuantile(0.5, [0.1, 0.5, Infinity], [10, 20, 20])).toBeCloseTo(0.1);
    expect(histogramQuantile(0.75, [0.1, 0.5, Infinity], [10, 20, 20])).toBeCloseTo(0.3);
    expect(histogramQuantile(0.25, [0.1, 0.5, Infinity], [10, 20, 20])).toBeCloseTo(0.05);
  });

  it('answers the highest finite bound in the +Inf bucket, and nothing without observations', () => {
    expect(histogramQuantile(0.99, [0.1, 0.5, Infinity], [0, 1, 10])).toBe(0.5);
    expect(histogramQuantile(0.5, [0.1, Infinity], [0, 0])).toBeUndefined();
  });
});

describe('MetricsWindow', () => {
  it('measures from the start of the process until a window has passed, then over the last window', () => {
    const window = new MetricsWindow(60_000, 0);

    expect(window.add(snapshot(10_000, 20)).at).toBe(0);
    expect(window.add(snapshot(50_000, 100)).at).toBe(0);
    expect(window.add(snapshot(70_000, 150)).at).toBe(10_000);
    expect(window.add(snapshot(115_000, 200)).at).toBe(50_000);
    expect(window.add(snapshot(200_000, 300)).at).toBe(115_000);
  });
});

describe('queueActivity', () => {
  it('gives per-second rates of consumption and failures (retries and dead letters) between two snapshots', () => {
    const activity = queueActivity(snapshot(0, 100, 5, 1), snapshot(10_000, 300, 25, 11), 'svc.job', 'job');

    expect(activity).toEqual({ consumedPerSecond: 20, failedPerSecond: 3, deadLetteredPerSecond: 1 });
  });

  it('gives nothing for snapshots less than a second apart, and zero rates for a queue with no counts', () => {
    expect(queueActivity(snapshot(0, 1), snapshot(500, 2), 'svc.job', 'job')).toBeUndefined();
    expect(queueActivity(snapshot(0, 1), snapshot(2000, 2), 'svc.other', 'other')).toEqual({
      consumedPerSecond: 0,
      failedPerSecond: 0,
      deadLetteredPerSecond: 0,
    });
  });

  it("reads the library's counters and histogram, and takes the latency of the window's observations only", async () => {
    const metrics = new MessagingMetrics();
    const consumer = metrics.forConsumer('svc.job', 'job');
    for (let i = 0; i < 4; i++) consumer.consumed();
    consumer.outcome('ack', 2);
    const base = await readSnapshot(metrics, 0);
    for (let i = 0; i < 10; i++) consumer.outcome('ack', 0.004);
    consumer.outcome('retry', 0.004);
    consumer.outcome('dead-letter', 0.004, 'permanent');
    const latest = await readSnapshot(metrics, 4000);

    const activity = queueActivity(base, latest, 'svc.job', 'job');

    expect(activity).toMatchObject({ consumedPerSecond: 0, failedPerSecond: 0.5, deadLetteredPerSecond: 0.25 });
    expect(activity?.latency?.count).toBe(12);
    // Every observation of the window took 4 ms (bucket 1-5 ms); the 2 s one before it is left out.
    expect(activity?.latency?.p95Ms).toBeGreaterThan(1);
    expect(activity?.latency?.p95Ms).toBeLessThanOrEqual(5);
  });
});
