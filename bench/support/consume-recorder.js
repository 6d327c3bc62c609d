// Bench: what every consumer under test does inside its handler, whatever its framework: counts the pre-filled
// messages and records publish-to-handler latency of the paced ones. Throughput and CPU are timed from the end of a
// warm-up (the first BENCH_WARMUP messages of the fill, untimed: V8 compiles the hot path then, which a long-running
// service pays once) to the last message.
// Plain CommonJS so that the peers' own packages can use it as well as the TypeScript workers.
'use strict';
const link = require('./worker-link');

/** Milliseconds since the epoch with sub-millisecond resolution, comparable across processes of one machine. */
function epochNowMs() {
  return performance.timeOrigin + performance.now();
}

/** The clock of V8's CPU profiles (CLOCK_MONOTONIC, µs). */
function monotonicUs() {
  return Number(process.hrtime.bigint() / 1000n);
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * The JavaScript heap's live data in MB: its used size right after a full collection, when the worker runs with
 * --expose-gc (the bench starts every worker so). Untimed: taken before the clock starts and after it stops.
 */
function liveHeapMb() {
  if (typeof global.gc !== 'function') return null;
  global.gc();
  return Math.round((process.memoryUsage().heapUsed / 1048576) * 10) / 10;
}

/** The main thread's CPU (Node 23.9+), or undefined. */
function threadCpu(since) {
  return typeof process.threadCpuUsage === 'function' ? process.threadCpuUsage(since) : undefined;
}

const round = (ms) => (ms === null ? null : Math.round(ms * 100) / 100);

class ConsumeRecorder {
  /** `fill`: pre-filled messages to count, the first `warmup` of them untimed; `latency`: paced messages to time. */
  constructor(fill, latency, warmup) {
    this.fill = fill;
    this.latency = latency;
    this.fillSeen = new Uint8Array(fill);
    this.fillCount = 0;
    /** Fill messages handled before the clock starts. */
    this.warmup = Math.min(warmup, fill - 1);
    this.fillStart = 0;
    /** Monotonic µs at the end of the warm-up and at the last fill message: the window of a --cpu-prof profile to look at. */
    this.windowUs = [0, 0];
    this.cpuAtStart = undefined;
    this.latencies = new Float64Array(latency);
    this.latencySeen = new Uint8Array(latency);
    this.latencyCount = 0;
    this.duplicates = 0;
    /** RSS (MB) at the end of the warm-up: the process warm, its heap sized for the rate. */
    this.rssWarmMb = null;
    /** Live JavaScript heap (MB) at the end of the warm-up (see liveHeapMb). */
    this.heapLiveWarmMb = null;
    /** Set once the fill is reported: by count, or at the bench's `cutoff` when the run hit its time limit. */
    this.fillReported = false;
    link.on('cutoff', () => this.fillDone(epochNowMs()));
  }

  static fromEnv() {
    return new ConsumeRecorder(Number(process.env.BENCH_FILL), Number(process.env.BENCH_LATENCY), Number(process.env.BENCH_WARMUP ?? 0));
  }

  /** Call first thing in the handler with the message body: `{ phase, seq, sentAt }`. */
  record(body) {
    let now = epochNowMs();
    if (body.phase === 'fill') {
      if (this.fillReported) return;
      if (this.fillSeen[body.seq]) return void this.duplicates++;
      this.fillSeen[body.seq] = 1;
      if (this.fillCount++ === this.warmup) {
        this.rssWarmMb = link.memory().rssMb;
        this.heapLiveWarmMb = liveHeapMb();
        now = epochNowMs();
        this.fillStart = now;
        this.windowUs[0] = monotonicUs();
        this.cpuAtStart = process.cpuUsage();
        this.threadCpuAtStart = threadCpu();
      }
      if (this.fillCount === this.fill) this.fillDone(now);
    } else if (body.phase === 'latency') {
      if (this.latencySeen[body.seq]) return void this.duplicates++;
      this.latencySeen[body.seq] = 1;
      this.latencies[this.latencyCount] = now - body.sentAt;
      if (++this.latencyCount === this.latency) this.latencyDone();
    }
  }

  /** Reports the fill: all of it, or (at a cutoff) what was handled by then. */
  fillDone(now) {
    if (this.fillReported) return;
    this.fillReported = true;
    // Handled since the clock started (the message that started it included); none if cut off during the warm-up.
    const count = Math.max(0, this.fillCount - this.warmup);
    const cpu = count > 0 ? process.cpuUsage(this.cpuAtStart) : { user: 0, system: 0 };
    const thread = count > 0 ? threadCpu(this.threadCpuAtStart) : undefined;
    const ms = count > 0 ? now - this.fillStart : 0;
    this.windowUs[1] = monotonicUs();
    const heapLiveEndMb = liveHeapMb();
    link.emit('fill-done', {
      count,
      cutoff: this.fillCount < this.fill,
      ms: round(ms),
      // From the first message to the last: n - 1 intervals.
      perSecond: count > 1 ? Math.round(((count - 1) / ms) * 1000) : 0,
      cpuUsPerMessage: count > 0 ? round((cpu.user + cpu.system) / count) : null,
      // The main thread's share: the rest went to V8's helper threads (concurrent GC, the optimising compiler).
      mainThreadCpuUsPerMessage: thread ? round((thread.user + thread.system) / count) : null,
      duplicates: this.duplicates,
      windowUs: this.windowUs,
      rssWarmMb: this.rssWarmMb,
      heapLiveWarmMb: this.heapLiveWarmMb,
      heapLiveEndMb,
      ...link.memory(),
    });
  }

  latencyDone() {
    const sorted = this.latencies.slice(0, this.latencyCount).sort();
    link.emit('latency-done', {
      count: this.latencyCount,
      p50: round(percentile(sorted, 50)),
      p90: round(percentile(sorted, 90)),
      p99: round(percentile(sorted, 99)),
      max: round(sorted[sorted.length - 1]),
      duplicates: this.duplicates,
      ...link.memory(),
    });
  }
}

module.exports = { ConsumeRecorder, epochNowMs, monotonicUs, percentile };
