import { ReconnectBackoff } from './reconnect-backoff';

/** Starts a wait and reports whether it has ended, without blocking the test on it. */
function startWait(backoff: ReconnectBackoff): { done: () => boolean; promise: Promise<void> } {
  let ended = false;
  const promise = backoff.wait().then(() => {
    ended = true;
  });
  return { done: () => ended, promise };
}

/** How long (in fake ms) the next wait of `backoff` lasts. */
async function measureWait(backoff: ReconnectBackoff): Promise<number> {
  const started = Date.now();
  await Promise.all([backoff.wait(), jest.runAllTimersAsync()]);
  return Date.now() - started;
}

describe('ReconnectBackoff', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('does not wait before the first attempt', async () => {
    const backoff = new ReconnectBackoff(250, 15_000, () => 0.5);

    const wait = startWait(backoff);
    await Promise.resolve();
    await Promise.resolve();

    expect(wait.done()).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('announces the upper bound of the next wait: 0, then initialMs, doubling up to the cap', async () => {
    const backoff = new ReconnectBackoff(250, 1500, () => 0);
    const bounds: number[] = [];

    for (let i = 0; i < 6; i++) {
      bounds.push(backoff.nextDelayMs);
      await measureWait(backoff);
    }

    expect(bounds).toEqual([0, 250, 500, 1000, 1500, 1500]);
  });

  it('waits between half the bound and the bound, growing and then capped (equal jitter)', async () => {
    const low = new ReconnectBackoff(100, 1000, () => 0);
    const high = new ReconnectBackoff(100, 1000, () => 0.999_999);

    const lowWaits: number[] = [];
    const highWaits: number[] = [];
    for (let i = 0; i < 7; i++) {
      lowWaits.push(await measureWait(low));
      highWaits.push(await measureWait(high));
    }

    expect(lowWaits).toEqual([0, 50, 100, 200, 400, 500, 500]);
    expect(highWaits).toEqual([0, 100, 200, 400, 800, 1000, 1000]);
  });

  it('does not end a wait before its time', async () => {
    const backoff = new ReconnectBackoff(1000, 10_000, () => 1);
    await backoff.wait();

    const wait = startWait(backoff);
    await jest.advanceTimersByTimeAsync(999);
    expect(wait.done()).toBe(false);

    await jest.advanceTimersByTimeAsync(1);
    expect(wait.done()).toBe(true);
  });

  it('starts over with an immediate attempt after reset (a good connection)', async () => {
    const backoff = new ReconnectBackoff(100, 1000, () => 0.5);
    for (let i = 0; i < 4; i++) await measureWait(backoff);
    expect(backoff.nextDelayMs).toBe(800);

    backoff.reset();

    expect(backoff.nextDelayMs).toBe(0);
    expect(await measureWait(backoff)).toBe(0);
    expect(backoff.nextDelayMs).toBe(100);
  });

  it('ends a wait in progress on cancel, leaving no timer behind', async () => {
    const backoff = new ReconnectBackoff(10_000, 60_000, () => 1);
    await backoff.wait();
    const wait = startWait(backoff);
    await jest.advanceTimersByTimeAsync(10);
    expect(wait.done()).toBe(false);

    backoff.cancel();
    await wait.promise;

    expect(wait.done()).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('can be cancelled when no wait is in progress', () => {
    const backoff = new ReconnectBackoff(100, 1000);

    expect(() => backoff.cancel()).not.toThrow();
  });
});
