// When a scheduled message is due, from a delay or an instant, and how long its next wait in the delay ladder is.
import { InvalidScheduleError } from './schedule-errors';

/** A delay from now, or an instant. */
export type ScheduleWhen = { delayMs: number } | { at: Date };

/** An instant this much in the past still counts as now (the caller's clock read and ours differ a little). */
export const PAST_GRACE_MS = 1000;

/** The instant `when` names; throws InvalidScheduleError for a negative or non-finite delay, or a past instant. */
export function dueAtOf(when: ScheduleWhen, now: number = Date.now()): Date {
  if (when && 'delayMs' in when) {
    const { delayMs } = when;
    if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0) {
      throw new InvalidScheduleError(`delayMs must be a finite number of milliseconds, 0 or more; got ${String(delayMs)}`);
    }
    return new Date(now + delayMs);
  }
  if (when && 'at' in when) {
    const { at } = when;
    if (!(at instanceof Date) || Number.isNaN(at.getTime())) {
      throw new InvalidScheduleError(`at must be a valid Date; got ${String(at)}`);
    }
    if (at.getTime() < now - PAST_GRACE_MS) {
      throw new InvalidScheduleError(`at ${at.toISOString()} is in the past (now is ${new Date(now).toISOString()})`);
    }
    return at;
  }
  throw new InvalidScheduleError('Say when: { delayMs } or { at }');
}

/**
 * The next wait of a message due at `dueAt`: what is left, at most `hopLimitMs` (the ladder's height). 0 once it is
 * due. A longer wait takes several hops: each time the message comes back early it waits again for what is left.
 */
export function nextHopMs(dueAt: number, now: number, hopLimitMs: number): number {
  return Math.min(Math.max(0, dueAt - now), hopLimitMs);
}
