// A dependency of the service (its database, Redis, any other it names) cannot be reached right now: an outage, not a
// fault of the message or the request. The consume pipeline gives such a delivery back without counting an attempt;
// the service kit answers such an HTTP request 503 with Retry-After.
import { TransientError } from './message-errors';

/** How deep a cause chain is searched (drizzle wraps the driver's error, a handler may wrap that). */
const MAX_CAUSE_DEPTH = 8;

/** The dependency `dependency` is unavailable (connection refused or lost, server restarting, no answer in time). */
export class DependencyUnavailableError extends TransientError {
  override readonly name: string = 'DependencyUnavailableError';
  constructor(
    /** The dependency's name, as its readiness check is named ("database", "redis", ...). */
    readonly dependency: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The DependencyUnavailableError in `error` or its chain of causes, if there is one. */
export function dependencyOutageOf(error: unknown): DependencyUnavailableError | undefined {
  let current = error;
  for (let depth = 0; current !== null && typeof current === 'object' && depth < MAX_CAUSE_DEPTH; depth++) {
    if (current instanceof DependencyUnavailableError) return current;
    current = causeOf(current);
  }
  return undefined;
}

/** The error's cause; undefined when reading it throws (a hostile getter must not break a failure's handling). */
function causeOf(error: object): unknown {
  try {
    return (error as { cause?: unknown }).cause;
  } catch {
    return undefined;
  }
}
