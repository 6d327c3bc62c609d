// Protects how a service waits for a dependency: one attempt at start, then probes with a growing, capped backoff
// until it answers; a configuration error stops the start instead; an outage reported by a user is looked at at once.
import { ConfigError, DependencyUnavailableError } from '@app/messaging-core';
import { DependencyMonitor, type DependencyMonitorOptions } from './dependency-monitor';

/** A probe that fails with `failures` in order, then succeeds; records when (fake time) it was called. */
function scriptedProbe(failures: Error[]) {
  const calls: number[] = [];
  const start = Date.now();
  const probe = jest.fn(async () => {
    calls.push(Date.now() - start);
    const failure = failures.shift();
    if (failure !== undefined) throw failure;
  });
  return { probe, calls };
}

const refused = (): Error => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED', syscall: 'connect' });

function monitorOf(options: Partial<DependencyMonitorOptions> & Pick<DependencyMonitorOptions, 'probe'>): DependencyMonitor {
  // random() = 1: each wait is its cap, so that the schedule is exact.
  return new DependencyMonitor({ name: 'database', retry: { initialDelayMs: 250, maxDelayMs: 2000 }, ...options }, () => 1);
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('DependencyMonitor at start', () => {
  it('is up after one successful probe', async () => {
    const { probe } = scriptedProbe([]);
    const monitor = monitorOf({ probe });

    await expect(monitor.start()).resolves.toBe(true);

    expect(monitor.isUp).toBe(true);
    expect(monitor.status).toMatchObject({ name: 'database', up: true, everUp: true });
    expect(probe).toHaveBeenCalledTimes(1);
  });

  it('when the dependency is away, starts anyway and probes again with growing waits capped at maxDelayMs, until it answers', async () => {
    const { probe, calls } = scriptedProbe([refused(), refused(), refused(), refused(), refused()]);
    const monitor = monitorOf({ probe });
    const changes: boolean[] = [];
    monitor.onChange((up) => changes.push(up));

    await expect(monitor.start()).resolves.toBe(false);
    expect(monitor.status).toMatchObject({ up: false, everUp: false, reason: 'connect ECONNREFUSED 127.0.0.1:5432' });

    await jest.advanceTimersByTimeAsync(10_000);

    // 250, 500, 1000, then 2000 (the cap), 2000.
    expect(calls).toEqual([0, 250, 750, 1750, 3750, 5750]);
    expect(monitor.isUp).toBe(true);
    expect(changes).toEqual([true]);
  });

  it('reports why it is down: the outage rather than the wrapper around it', async () => {
    const outage = new DependencyUnavailableError('database', 'the database cannot be reached: connect ECONNREFUSED');
    const { probe } = scriptedProbe([new Error('Failed query: select 1', { cause: outage })]);
    const monitor = monitorOf({ probe });

    await monitor.start();

    expect(monitor.status.reason).toBe('the database cannot be reached: connect ECONNREFUSED');
    monitor.stop();
  });

  it('rejects start() with the configuration error a refusal amounts to, and probes no more', async () => {
    const wrongPassword = new ConfigError('DATABASE_URL was refused by the database (SQLSTATE 28P01)');
    const { probe } = scriptedProbe([new Error('28P01'), new Error('28P01')]);
    const monitor = monitorOf({ probe, fatalError: (error) => ((error as Error).message === '28P01' ? wrongPassword : undefined) });

    await expect(monitor.start()).rejects.toBe(wrongPassword);
    await jest.advanceTimersByTimeAsync(10_000);

    expect(probe).toHaveBeenCalledTimes(1);
  });

  it('ends the start through onFatalError when the refusal shows only once the dependency answers, and probes no more', async () => {
    const missingDatabase = new ConfigError('DATABASE_URL was refused by the database (SQLSTATE 3D000)');
    const { probe } = scriptedProbe([refused(), new Error('3D000'), new Error('3D000')]);
    const onFatalError = jest.fn();
    const monitor = monitorOf({
      probe,
      fatalError: (error) => ((error as Error).message === '3D000' ? missingDatabase : undefined),
      onFatalError,
    });

    await expect(monitor.start()).resolves.toBe(false);
    await jest.advanceTimersByTimeAsync(10_000);

    expect(onFatalError).toHaveBeenCalledWith(missingDatabase);
    expect(probe).toHaveBeenCalledTimes(2);
  });
});

describe('DependencyMonitor after the start', () => {
  it('looks at once when a user reports an outage (one probe for reports that come together), goes down, and comes back by itself', async () => {
    const { probe, calls } = scriptedProbe([]);
    const monitor = monitorOf({ probe });
    await monitor.start();
    const changes: boolean[] = [];
    monitor.onChange((up) => changes.push(up));
    probe.mockImplementation(async () => {
      calls.push(-1);
      throw refused();
    });

    monitor.reportFailure(refused());
    monitor.reportFailure(refused());
    await jest.advanceTimersByTimeAsync(0);

    expect(calls).toEqual([0, -1]);
    expect(monitor.status).toMatchObject({ up: false, everUp: true });
    expect(changes).toEqual([false]);

    probe.mockResolvedValue(undefined);
    await jest.advanceTimersByTimeAsync(250);

    expect(monitor.isUp).toBe(true);
    expect(changes).toEqual([false, true]);
  });

  it('once it has been up, takes a configuration error for an outage of a kind: down, saying so, and probing on', async () => {
    const rotated = new ConfigError('password rotated');
    const { probe } = scriptedProbe([]);
    const monitor = monitorOf({ probe, fatalError: (error) => ((error as Error).message === '28P01' ? rotated : undefined) });
    await monitor.start();
    probe.mockRejectedValue(new Error('28P01'));

    monitor.reportFailure();
    await jest.advanceTimersByTimeAsync(600);

    expect(monitor.status).toMatchObject({ up: false, configurationError: true, reason: '28P01' });
    expect(probe.mock.calls.length).toBeGreaterThanOrEqual(3);
    monitor.stop();
  });

  it('verify() answers from a probe younger than freshForMs, and probes again when it is older', async () => {
    const { probe } = scriptedProbe([]);
    const monitor = monitorOf({ probe, freshForMs: 1000 });
    await monitor.start();

    await expect(monitor.verify()).resolves.toBe(true);
    expect(probe).toHaveBeenCalledTimes(1);

    probe.mockRejectedValue(refused());
    await jest.advanceTimersByTimeAsync(1001);
    await expect(monitor.verify()).resolves.toBe(false);
    expect(probe).toHaveBeenCalledTimes(2);
    monitor.stop();
  });

  it('stops probing at stop(), also while it waits to try again', async () => {
    const { probe } = scriptedProbe([refused(), refused(), refused()]);
    const monitor = monitorOf({ probe });
    await monitor.start();

    monitor.stop();
    await jest.advanceTimersByTimeAsync(10_000);

    expect(probe).toHaveBeenCalledTimes(1);
    expect(monitor.isUp).toBe(false);
  });

  it('keeps telling the others when one listener throws', async () => {
    const { probe } = scriptedProbe([refused()]);
    const monitor = monitorOf({ probe });
    const told: boolean[] = [];
    monitor.onChange(() => {
      throw new Error('listener broken');
    });
    monitor.onChange((up) => told.push(up));

    await monitor.start();
    await jest.advanceTimersByTimeAsync(250);

    expect(told).toEqual([true]);
  });
});
