// How long to wait before the next attempt: exponential growth, capped, with optional jitter.
import type { BackoffOptions } from '../options/messaging-options';

/** Delay in ms before attempt `attempt + 1`, after `attempt` (>= 1) failed deliveries. */
export function backoffDelayMs(attempt: number, backoff: Required<BackoffOptions>, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** Math.max(0, attempt - 1));
  switch (backoff.jitter) {
    case 'none':
      return Math.round(ceiling);
    case 'equal':
      return Math.round(ceiling / 2 + (random() * ceiling) / 2);
    case 'full':
      return Math.round(random() * ceiling);
  }
}
