// Options of SchedulingModule: the typed interface, its defaults in one place, and their checks at start.
import { assertMessageClass, MessagingConfigError, type MessageClass } from '@app/messaging-core';
import { DELAY_LEVELS } from '../topology/topology-names';

export interface SchedulingOptions {
  /**
   * The longest single wait of a scheduled message in the delay ladder. Default: the ladder's height, 2^18 - 1 s
   * (about 3 days). A longer delay comes back and waits again for what is left, as often as it takes. A smaller value
   * only makes more hops (tests use it to show that long delays work).
   */
  hopLimitMs?: number;
  /** Classes that may be scheduled by type name, besides those of the service's handlers. */
  messages?: MessageClass[];
  /** Scheduled messages forwarded at once by this instance (the prefetch of the scheduled queue). Default 50. */
  prefetch?: number;
}

export type ResolvedSchedulingOptions = Required<SchedulingOptions>;

export const LADDER_HEIGHT_MS = (2 ** DELAY_LEVELS - 1) * 1000;

export function resolveSchedulingOptions(options: SchedulingOptions = {}): ResolvedSchedulingOptions {
  const resolved: ResolvedSchedulingOptions = {
    hopLimitMs: options.hopLimitMs ?? LADDER_HEIGHT_MS,
    messages: options.messages ?? [],
    prefetch: options.prefetch ?? 50,
  };
  const { hopLimitMs, prefetch } = resolved;
  if (!Number.isInteger(hopLimitMs) || hopLimitMs < 1000 || hopLimitMs > LADDER_HEIGHT_MS) {
    throw new MessagingConfigError(
      'scheduling.hopLimitMs',
      `must be an integer from 1000 to ${LADDER_HEIGHT_MS}, got ${String(hopLimitMs)}`,
    );
  }
  if (!Number.isInteger(prefetch) || prefetch < 1 || prefetch > 65_535) {
    throw new MessagingConfigError('scheduling.prefetch', `must be an integer from 1 to 65535, got ${String(prefetch)}`);
  }
  for (const [index, type] of resolved.messages.entries()) {
    try {
      assertMessageClass(type);
    } catch (error) {
      throw new MessagingConfigError(`scheduling.messages[${index}]`, (error as Error).message);
    }
  }
  return resolved;
}
