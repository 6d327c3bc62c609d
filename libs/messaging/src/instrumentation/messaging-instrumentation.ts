// What the library reports about its work, for whoever counts it (the service kit's MetricsModule, with Prometheus).
// Without one, nothing is counted and nothing is paid for.

/** 'deferred': given back without counting an attempt, because a dependency of the handler was down. */
export type ConsumeOutcome = 'ack' | 'retry' | 'dead-letter' | 'duplicate' | 'deferred';

/** The counters of one consumer (queue and message type), looked up once when it starts. */
export interface ConsumerInstrumentation {
  consumed(): void;
  /** A settled delivery: its outcome, the time since it arrived, and why it was dead-lettered (or which dependency deferred it). */
  outcome(outcome: ConsumeOutcome, seconds: number, reason?: string): void;
}

/** The counters of publishes to one exchange of one message type. */
export interface PublishInstrumentation {
  confirmed(): void;
  failed(): void;
}

/** Values sampled when metrics are read (set by the outbox relay and the consumer supervisor). */
export interface InstrumentationSamplers {
  outboxPending?: () => Promise<{ count: number; oldestAgeMs: number }>;
  queueDepths?: () => Promise<Array<{ queue: string; messages: number; deadLetters: number }>>;
}

export interface MessagingInstrumentation {
  forConsumer(queue: string, type: string): ConsumerInstrumentation;
  forPublish(exchange: string, type: string): PublishInstrumentation;
  setSampler<K extends keyof InstrumentationSamplers>(key: K, sampler: InstrumentationSamplers[K]): void;
}

const ignore = (): void => undefined;

/** Counts nothing: in use when the application has no MetricsModule. */
export const NO_INSTRUMENTATION: MessagingInstrumentation = {
  forConsumer: () => ({ consumed: ignore, outcome: ignore }),
  forPublish: () => ({ confirmed: ignore, failed: ignore }),
  setSampler: ignore,
};
