import type { BackoffOptions } from '../options/messaging-options';
import { backoffDelayMs } from './backoff';

function policy(overrides: Partial<BackoffOptions> = {}): Required<BackoffOptions> {
  return { initialMs: 1000, factor: 2, maxMs: 60_000, jitter: 'none', ...overrides };
}

/** A fixed sequence of "random" numbers, repeated. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length];
}

describe('backoffDelayMs', () => {
  describe("jitter 'none'", () => {
    it('waits initialMs after the first failed delivery', () => {
      expect(backoffDelayMs(1, policy())).toBe(1000);
    });

    it('multiplies the delay by the factor after every further failure', () => {
      const delays = [1, 2, 3, 4, 5].map((attempt) => backoffDelayMs(attempt, policy()));

      expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000]);
    });

    it('grows by a fractional factor too', () => {
      const delays = [1, 2, 3].map((attempt) => backoffDelayMs(attempt, policy({ initialMs: 1000, factor: 1.5 })));

      expect(delays).toEqual([1000, 1500, 2250]);
    });

    it('keeps the delay constant with factor 1', () => {
      const delays = [1, 5, 50].map((attempt) => backoffDelayMs(attempt, policy({ factor: 1 })));

      expect(delays).toEqual([1000, 1000, 1000]);
    });

    it('never waits longer than maxMs', () => {
      const backoff = policy({ initialMs: 1000, factor: 2, maxMs: 5000 });

      expect([3, 4, 5, 10, 100].map((attempt) => backoffDelayMs(attempt, backoff))).toEqual([4000, 5000, 5000, 5000, 5000]);
    });

    it('stays at maxMs for attempt numbers large enough to overflow the exponent', () => {
      expect(backoffDelayMs(5000, policy({ maxMs: 300_000 }))).toBe(300_000);
    });

    it('does not consult the random source', () => {
      const random = jest.fn(() => 0.5);

      backoffDelayMs(3, policy(), random);

      expect(random).not.toHaveBeenCalled();
    });
  });

  describe("jitter 'full'", () => {
    it('picks a delay anywhere from 0 to the ceiling', () => {
      const backoff = policy({ jitter: 'full' });

      expect(backoffDelayMs(3, backoff, () => 0)).toBe(0);
      expect(backoffDelayMs(3, backoff, () => 0.25)).toBe(1000);
      expect(backoffDelayMs(3, backoff, () => 0.999_999)).toBe(4000);
    });

    it('stays within [0, ceiling] for any random value, the cap included', () => {
      const backoff = policy({ jitter: 'full', maxMs: 10_000 });
      const random = sequence(0, 0.1, 0.33, 0.5, 0.77, 0.999_999);

      for (let attempt = 1; attempt <= 12; attempt++) {
        const ceiling = Math.min(10_000, 1000 * 2 ** (attempt - 1));
        for (let draw = 0; draw < 6; draw++) {
          const delay = backoffDelayMs(attempt, backoff, random);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(ceiling);
        }
      }
    });

    it('spreads the retries of a burst apart', () => {
      const backoff = policy({ jitter: 'full' });
      const delays = new Set([0.1, 0.4, 0.7, 0.9].map((r) => backoffDelayMs(2, backoff, () => r)));

      expect(delays.size).toBe(4);
    });
  });

  describe("jitter 'equal'", () => {
    it('keeps half of the ceiling fixed and randomises the other half', () => {
      const backoff = policy({ jitter: 'equal' });

      expect(backoffDelayMs(3, backoff, () => 0)).toBe(2000);
      expect(backoffDelayMs(3, backoff, () => 0.5)).toBe(3000);
      expect(backoffDelayMs(3, backoff, () => 0.999_999)).toBe(4000);
    });

    it('stays within [ceiling / 2, ceiling] for any random value, the cap included', () => {
      const backoff = policy({ jitter: 'equal', maxMs: 10_000 });
      const random = sequence(0, 0.1, 0.33, 0.5, 0.77, 0.999_999);

      for (let attempt = 1; attempt <= 12; attempt++) {
        const ceiling = Math.min(10_000, 1000 * 2 ** (attempt - 1));
        for (let draw = 0; draw < 6; draw++) {
          const delay = backoffDelayMs(attempt, backoff, random);
          expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
          expect(delay).toBeLessThanOrEqual(ceiling);
        }
      }
    });
  });

  it('returns whole milliseconds', () => {
    const backoff = policy({ initialMs: 333, factor: 1.7, jitter: 'full' });

    for (const attempt of [1, 2, 3, 4]) {
      expect(Number.isInteger(backoffDelayMs(attempt, backoff, () => 0.123))).toBe(true);
    }
  });
});
