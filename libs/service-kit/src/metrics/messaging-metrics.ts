// Prometheus metrics of the messaging library: consume outcomes, handler durations, publishes, the outbox, queue depths.
import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type {
  ConsumeOutcome,
  ConsumerInstrumentation,
  InstrumentationSamplers,
  MessagingInstrumentation,
  PublishInstrumentation,
} from '@app/messaging';

@Injectable()
export class MessagingMetrics implements MessagingInstrumentation {
  /** The registry served at /metrics; an application may register its own metrics on it. */
  readonly registry = new Registry();
  private readonly samplers: InstrumentationSamplers = {};
  /** By exchange, then message type: two lookups of strings as they come, no key built per publish. */
  private readonly publishSeries = new Map<string, Map<string, PublishInstrumentation>>();
  /** The per-message counts of forConsumer, added to their counters whenever those are read (a scrape). */
  private readonly pendingCounts = new Map<string, PendingCount>();

  readonly consumed = new Counter({
    name: 'messaging_messages_consumed_total',
    help: 'Deliveries taken from a queue',
    labelNames: ['queue', 'type'] as const,
    registers: [this.registry],
    collect: () => this.addPendingCounts(),
  });
  readonly acked = new Counter({
    name: 'messaging_messages_acked_total',
    help: 'Deliveries handled successfully and acknowledged',
    labelNames: ['queue', 'type'] as const,
    registers: [this.registry],
    collect: () => this.addPendingCounts(),
  });
  readonly retried = new Counter({
    name: 'messaging_messages_retried_total',
    help: 'Deliveries that failed transiently and were scheduled for a later attempt',
    labelNames: ['queue', 'type'] as const,
    registers: [this.registry],
  });
  readonly deferred = new Counter({
    name: 'messaging_messages_deferred_total',
    help: 'Deliveries given back without counting an attempt because a dependency of their handler was unavailable',
    labelNames: ['queue', 'type', 'dependency'] as const,
    registers: [this.registry],
  });
  readonly deadLettered = new Counter({
    name: 'messaging_messages_dead_lettered_total',
    help: 'Messages moved to their dead-letter queue, by reason',
    labelNames: ['queue', 'type', 'reason'] as const,
    registers: [this.registry],
  });
  readonly duplicates = new Counter({
    name: 'messaging_messages_duplicates_skipped_total',
    help: 'Deliveries acknowledged without running the handler because they were already handled',
    labelNames: ['queue', 'type'] as const,
    registers: [this.registry],
  });
  readonly handlerDuration = new Histogram({
    name: 'messaging_handler_duration_seconds',
    help: 'Time from delivery to outcome, by message type and outcome',
    labelNames: ['type', 'outcome'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly published = new Counter({
    name: 'messaging_publish_confirms_total',
    help: 'Publishes confirmed by the broker',
    labelNames: ['exchange', 'type'] as const,
    registers: [this.registry],
  });
  readonly publishFailures = new Counter({
    name: 'messaging_publish_failures_total',
    help: 'Publishes the broker did not confirm (nack, timeout, connection lost)',
    labelNames: ['exchange', 'type'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Each pair of gauges reads one sample per scrape (one broker or database round trip, not two); undefined while
    // nothing reports (no outbox, no consumers).
    const outbox = sharedPerScrape(() => this.samplers.outboxPending?.().catch(() => undefined) ?? Promise.resolve(undefined));
    const depths = sharedPerScrape(() => this.samplers.queueDepths?.().catch(() => []) ?? Promise.resolve([]));
    new Gauge({
      name: 'messaging_outbox_pending_rows',
      help: 'Outbox rows not yet published',
      registers: [this.registry],
      async collect() {
        const pending = await outbox();
        if (pending) this.set(pending.count);
      },
    });
    new Gauge({
      name: 'messaging_outbox_oldest_pending_age_seconds',
      help: 'Age of the oldest outbox row not yet published (0 when none)',
      registers: [this.registry],
      async collect() {
        const pending = await outbox();
        if (pending) this.set(pending.oldestAgeMs / 1000);
      },
    });
    // Passive queue checks on the broker, at scrape time.
    new Gauge({
      name: 'messaging_queue_depth',
      help: 'Messages ready in a handler queue (sampled at scrape)',
      labelNames: ['queue'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const depth of await depths()) this.set({ queue: depth.queue }, depth.messages);
      },
    });
    new Gauge({
      name: 'messaging_dead_letter_queue_depth',
      help: "Messages in a handler queue's dead-letter queue (sampled at scrape)",
      labelNames: ['queue'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const depth of await depths()) this.set({ queue: depth.queue }, depth.deadLetters);
      },
    });
  }

  /** Lets the outbox relay and the consumer supervisor report what is sampled at scrape time. */
  setSampler<K extends keyof InstrumentationSamplers>(key: K, sampler: InstrumentationSamplers[K]): void {
    this.samplers[key] = sampler;
  }

  /** A sampler someone set (the admin console reads the outbox and the sagas through them), or undefined. */
  sampler<K extends keyof InstrumentationSamplers>(key: K): InstrumentationSamplers[K] {
    return this.samplers[key];
  }

  /** Counts an outcome; a skipped duplicate is acked too (it counts as both), with its own duration label. */
  consumeOutcome(queue: string, type: string, outcome: ConsumeOutcome, seconds: number, reason?: string): void {
    if (outcome === 'duplicate') this.duplicates.inc({ queue, type });
    if (outcome === 'ack' || outcome === 'duplicate') this.acked.inc({ queue, type });
    else if (outcome === 'retry') this.retried.inc({ queue, type });
    else if (outcome === 'dead-letter') this.deadLettered.inc({ queue, type, reason: reason ?? 'unknown' });
    else if (outcome === 'deferred') this.deferred.inc({ queue, type, dependency: reason ?? 'unknown' });
    this.handlerDuration.observe({ type, outcome }, seconds);
  }

  /** The publish counters of an exchange and message type, their labelled series looked up once. */
  forPublish(exchange: string, type: string): PublishInstrumentation {
    let ofExchange = this.publishSeries.get(exchange);
    if (!ofExchange) {
      ofExchange = new Map();
      this.publishSeries.set(exchange, ofExchange);
    }
    let metrics = ofExchange.get(type);
    if (!metrics) {
      const confirmed = this.published.labels({ exchange, type });
      const failed = this.publishFailures.labels({ exchange, type });
      metrics = { confirmed: () => confirmed.inc(), failed: () => failed.inc() };
      ofExchange.set(type, metrics);
    }
    return metrics;
  }

  /**
   * The consume metrics of one queue, with the labelled series of the usual outcomes looked up once: finding a
   * series by its label object costs more than counting. The two counts every message makes (consumed, acked) are
   * kept as plain numbers and added to their counters when those are read: prom-client finds the series again on
   * every inc(), even through a labelled child.
   */
  forConsumer(queue: string, type: string): ConsumerInstrumentation {
    const consumed = this.pendingCount('consumed', queue, type);
    const acked = this.pendingCount('acked', queue, type);
    const ackDuration = this.handlerDuration.labels({ type, outcome: 'ack' });
    const duplicateDuration = this.handlerDuration.labels({ type, outcome: 'duplicate' });
    const duplicates = this.duplicates.labels({ queue, type });
    return {
      consumed: () => consumed.count++,
      outcome: (outcome, seconds, reason) => {
        if (outcome === 'ack') {
          acked.count++;
          ackDuration.observe(seconds);
        } else if (outcome === 'duplicate') {
          acked.count++;
          duplicates.inc();
          duplicateDuration.observe(seconds);
        } else {
          this.consumeOutcome(queue, type, outcome, seconds, reason);
        }
      },
    };
  }

  /** One per series, however often a queue's consumer is set up. */
  private pendingCount(counter: 'consumed' | 'acked', queue: string, type: string): PendingCount {
    const key = `${counter}\u0000${queue}\u0000${type}`;
    let pending = this.pendingCounts.get(key);
    if (!pending) {
      pending = { series: this[counter].labels({ queue, type }), count: 0 };
      this.pendingCounts.set(key, pending);
    }
    return pending;
  }

  private addPendingCounts(): void {
    for (const pending of this.pendingCounts.values()) {
      if (pending.count === 0) continue;
      const count = pending.count;
      pending.count = 0;
      pending.series.inc(count);
    }
  }
}

interface PendingCount {
  series: { inc(value: number): void };
  count: number;
}

/** Calls made while one is in flight (the gauges of one scrape) share its result. */
function sharedPerScrape<T>(sample: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | undefined;
  return () => {
    inFlight ??= sample().finally(() => {
      setImmediate(() => (inFlight = undefined));
    });
    return inFlight;
  };
}
