// The one place that decides what happens to a failed delivery: retry later, or dead-letter (and why).
import { classifyError, type ErrorClassifier, type ErrorKind } from '../errors/classify-error';
import { RedeliveryLimitError } from '../errors/redelivery-limit-error';
import type { ResolvedRetry } from '../options/messaging-options';
import { backoffDelayMs } from '../retry/backoff';

/** Why a message went to its dead-letter queue (the x-error-type header). */
export type DeadLetterReason = ErrorKind | 'exhausted' | 'redelivery-limit';

export type Outcome =
  | { action: 'ack' }
  | { action: 'retry'; delayMs: number; error: unknown }
  | { action: 'dead-letter'; reason: DeadLetterReason; error: unknown };

export interface OutcomePolicy {
  retry: ResolvedRetry;
  classifiers: readonly ErrorClassifier[];
  random?: () => number;
}

/** `attempt` is the number of this delivery (1 for the first). */
export function decideOutcome(error: unknown, attempt: number, policy: OutcomePolicy): Outcome {
  if (error instanceof RedeliveryLimitError) return { action: 'dead-letter', reason: 'redelivery-limit', error };
  const kind = classifyError(error, policy.classifiers);
  if (kind !== 'transient') return { action: 'dead-letter', reason: kind, error };
  if (attempt >= policy.retry.maxAttempts) return { action: 'dead-letter', reason: 'exhausted', error };
  return { action: 'retry', delayMs: backoffDelayMs(attempt, policy.retry.backoff, policy.random), error };
}
