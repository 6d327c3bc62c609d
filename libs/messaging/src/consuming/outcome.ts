// The one place that decides what happens to a failed delivery: retry later, defer it (a dependency is down), or
// dead-letter it (and why).
import { dependencyOutageOf } from '@app/messaging-core';
import { classifyError, type ErrorClassifier, type ErrorKind } from '../errors/classify-error';
import { RedeliveryLimitError } from '../errors/redelivery-limit-error';
import type { ResolvedRetry } from '../options/messaging-options';
import { backoffDelayMs } from '../retry/backoff';

/** Why a message went to its dead-letter queue (the x-error-type header). */
export type DeadLetterReason = ErrorKind | 'exhausted' | 'redelivery-limit';

export type Outcome =
  | { action: 'ack' }
  | { action: 'retry'; delayMs: number; error: unknown }
  /** A dependency of the handler is down: back to the queue after a short delay, without counting an attempt. */
  | { action: 'defer'; delayMs: number; dependency: string; error: unknown }
  | { action: 'dead-letter'; reason: DeadLetterReason; error: unknown };

export interface OutcomePolicy {
  retry: ResolvedRetry;
  classifiers: readonly ErrorClassifier[];
  random?: () => number;
}

/**
 * How long a delivery deferred for a dependency outage waits before it is back in its queue. Short: while the
 * dependency is down its consumer is paused, so the copy waits in the queue, not in the delay exchanges.
 */
export const DEFER_DELAY_MS = 1000;

/** `attempt` is the number of this delivery (1 for the first). */
export function decideOutcome(error: unknown, attempt: number, policy: OutcomePolicy): Outcome {
  if (error instanceof RedeliveryLimitError) return { action: 'dead-letter', reason: 'redelivery-limit', error };
  // An outage is nobody's fault: it neither uses up attempts nor dead-letters, whatever the classifiers say.
  const outage = dependencyOutageOf(error);
  if (outage) return { action: 'defer', delayMs: DEFER_DELAY_MS, dependency: outage.dependency, error };
  const kind = classifyError(error, policy.classifiers);
  if (kind !== 'transient') return { action: 'dead-letter', reason: kind, error };
  if (attempt >= policy.retry.maxAttempts) return { action: 'dead-letter', reason: 'exhausted', error };
  return { action: 'retry', delayMs: backoffDelayMs(attempt, policy.retry.backoff, policy.random), error };
}
