import { InvalidScheduleError } from './schedule-errors';
import { dueAtOf, nextHopMs, PAST_GRACE_MS, type ScheduleWhen } from './schedule-time';
import { LADDER_HEIGHT_MS, resolveSchedulingOptions } from './scheduling-options';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');

describe('dueAtOf', () => {
  it('is now plus the delay, or the instant itself', () => {
    expect(dueAtOf({ delayMs: 1500 }, NOW).toISOString()).toBe('2026-03-01T12:00:01.500Z');
    expect(dueAtOf({ delayMs: 0 }, NOW).getTime()).toBe(NOW);
    expect(dueAtOf({ at: new Date('2026-03-02T00:00:00Z') }, NOW).toISOString()).toBe('2026-03-02T00:00:00.000Z');
  });

  it('takes an instant a moment in the past as now (clocks read apart), and refuses one further back, saying when', () => {
    expect(dueAtOf({ at: new Date(NOW - PAST_GRACE_MS) }, NOW).getTime()).toBe(NOW - PAST_GRACE_MS);
    const past = () => dueAtOf({ at: new Date(NOW - PAST_GRACE_MS - 1) }, NOW);
    expect(past).toThrow(InvalidScheduleError);
    expect(past).toThrow('at 2026-03-01T11:59:58.999Z is in the past (now is 2026-03-01T12:00:00.000Z)');
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, '10' as unknown as number])('refuses the delay %p', (delayMs) => {
    expect(() => dueAtOf({ delayMs }, NOW)).toThrow(/delayMs must be a finite number of milliseconds, 0 or more/);
  });

  it.each([
    ['an invalid date', { at: new Date('soon') }],
    ['no date at all', { at: '2026-03-02' as unknown as Date }],
    ['neither delayMs nor at', {} as ScheduleWhen],
  ])('refuses %s', (_case, when) => {
    expect(() => dueAtOf(when, NOW)).toThrow(InvalidScheduleError);
  });
});

describe('nextHopMs', () => {
  it('waits what is left, at most the hop limit, and nothing once due', () => {
    expect(nextHopMs(NOW + 1500, NOW, 2000)).toBe(1500);
    expect(nextHopMs(NOW + 5000, NOW, 2000)).toBe(2000);
    expect(nextHopMs(NOW - 10, NOW, 2000)).toBe(0);
  });
});

describe('resolveSchedulingOptions', () => {
  it('hops as high as the ladder by default', () => {
    expect(resolveSchedulingOptions().hopLimitMs).toBe(LADDER_HEIGHT_MS);
    expect(LADDER_HEIGHT_MS).toBe((2 ** 18 - 1) * 1000);
  });

  it.each([999, LADDER_HEIGHT_MS + 1, 1500.5])('refuses hopLimitMs %p naming the key', (hopLimitMs) => {
    expect(() => resolveSchedulingOptions({ hopLimitMs })).toThrow(/scheduling\.hopLimitMs/);
  });

  it('refuses a class that is no message class in messages', () => {
    expect(() => resolveSchedulingOptions({ messages: [class NotAMessage {} as never] })).toThrow(/scheduling\.messages\[0\]/);
  });
});
