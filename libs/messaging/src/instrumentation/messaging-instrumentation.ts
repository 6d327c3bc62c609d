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

/** A saga (a long-running process across messages) that has started and not yet ended, as an operator sees it. */
export interface SagaInFlight {
  id: string;
  /** Which saga it is, e.g. "order-fulfilment". */
  type: string;
  /** Its current step or state. */
  state: string;
  /** ISO 8601. */
  startedAt: string;
  updatedAt?: string;
  /** What it waits for next, e.g. "payment.captured". */
  waitingFor?: string;
}

/**
 * Values sampled when metrics (or the admin console) are read: set by the outbox relay and the consumer supervisor.
 * `sagasInFlight` is the hook for a saga store: one that sets it has its sagas listed in the admin console.
 */
export interface InstrumentationSamplers {
  outboxPending?: () => Promise<{ count: number; oldestAgeMs: number }>;
  queueDepths?: () => Promise<Array<{ queue: string; messages: number; deadLetters: number }>>;
  /** Sagas in flight, oldest first, at most `limit` of them, and how many there are in all. */
  sagasInFlight?: (limit: number) => Promise<{ total: number; sagas: SagaInFlight[] }>;
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
