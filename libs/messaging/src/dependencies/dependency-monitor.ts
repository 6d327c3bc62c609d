// Whether one dependency of the service (its database, Redis...) can be used now, and why not. A probe decides: once
// at start, again at once when a user of the dependency reports an outage, and with backoff while it is down, until
// it answers. Consumers pause on it, readiness reports it, the outbox relay waits for it.
import { Logger } from '@nestjs/common';
import { ConfigError, dependencyOutageOf } from '@app/messaging-core';
import { errorMessage } from '../dead-letter/dead-letter-headers';

export interface DependencyMonitorOptions {
  /** The dependency's name: in logs, in readiness, in `@MessageHandler(T, { dependsOn })`. */
  name: string;
  /** Resolves when the dependency can be used (connect, migrate, ping...); rejects with why not. */
  probe: () => Promise<void>;
  /**
   * The error that a probe's failure amounts to when waiting cannot fix it (a ConfigError for a wrong password or a
   * missing database; the error itself for a failed migration), or undefined for an outage (wait, probe again).
   * Until the dependency has been up once, such an error stops the start. Default: every failure is an outage.
   */
  fatalError?: (error: unknown) => Error | undefined;
  /** Waits between probes while down: the first, and its cap (doubling in between, with jitter). Default 250 .. 2000 ms. */
  retry?: { initialDelayMs?: number; maxDelayMs?: number };
  /** How long a probe's answer counts as current for `verify()`. Default 1000 ms. */
  freshForMs?: number;
  /**
   * Called when such an error shows only after the start, while the service still waits for the dependency to be
   * there for the first time. Default: it is thrown as an uncaught exception, which ends the process (runService
   * prints a ConfigError as `config error: ...` and exits 1).
   */
  onFatalError?: (error: Error) => void;
}

export interface DependencyStatus {
  name: string;
  up: boolean;
  /** Why it is down: the last failure seen. */
  reason?: string;
  /** Down for a configuration error (not an outage): a wrong password, a missing database. */
  configurationError?: boolean;
  /** When it last went up or down (or the monitor started). */
  since: Date;
  /** It has been up at least once since start. */
  everUp: boolean;
}

export type DependencyListener = (up: boolean) => void;

export class DependencyMonitor {
  private readonly logger = new Logger('Dependencies');
  private up = false;
  private everUp = false;
  private reason?: string;
  private configuration = false;
  /** The fatal error of the last probe, while the dependency has never been up. */
  private lastFatalError?: Error;
  private since = new Date();
  private probing?: Promise<boolean>;
  private lastProbeAt = 0;
  private failedProbes = 0;
  private retrying = false;
  private retryTimer?: NodeJS.Timeout;
  private stopped = false;
  private readonly listeners = new Set<DependencyListener>();
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(
    private readonly options: DependencyMonitorOptions,
    private readonly random: () => number = Math.random,
  ) {
    this.initialDelayMs = options.retry?.initialDelayMs ?? 250;
    this.maxDelayMs = Math.max(this.initialDelayMs, options.retry?.maxDelayMs ?? 2000);
  }

  get name(): string {
    return this.options.name;
  }

  get isUp(): boolean {
    return this.up;
  }

  get status(): DependencyStatus {
    return {
      name: this.name,
      up: this.up,
      ...(this.up ? {} : { reason: this.reason ?? 'not checked yet' }),
      ...(this.configuration ? { configurationError: true } : {}),
      since: this.since,
      everUp: this.everUp,
    };
  }

  /**
   * The first probe: resolves true when the dependency is up, false when it is not (it is then probed again in the
   * background until it is). Rejects with the fatal error of the failure (see `fatalError`): the start should stop.
   */
  async start(): Promise<boolean> {
    const up = await this.probeNow();
    if (!up && this.lastFatalError) throw this.lastFatalError;
    if (!up) this.retryInBackground();
    return up;
  }

  /**
   * A user of the dependency failed with an outage error: probe now (one probe for the reports that come together).
   * While it is down already, the probes with backoff go on as they are: a storm of failing requests does not hasten them.
   */
  reportFailure(error?: unknown): void {
    if (this.stopped || (!this.up && this.retrying)) return;
    if (error !== undefined)
      this.logger.debug({ event: 'dependency.failure_reported', dependency: this.name, reason: errorMessage(error) });
    void this.probeNow();
  }

  /** Probes now (a client that says it is connected again, say), sharing a probe already under way. */
  checkNow(): Promise<boolean> {
    return this.stopped ? Promise.resolve(this.up) : this.probeNow();
  }

  /** Whether the dependency is up, by a probe no older than `freshForMs` (probing now if needed). */
  async verify(): Promise<boolean> {
    if (this.stopped) return this.up;
    if (Date.now() - this.lastProbeAt < (this.options.freshForMs ?? 1000) && !this.probing) return this.up;
    return this.probeNow();
  }

  /** Calls `listener` with the new state each time the dependency goes up or down; returns how to stop. */
  onChange(listener: DependencyListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops probing (at shutdown). The state stays as it was. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.listeners.clear();
  }

  private probeNow(): Promise<boolean> {
    this.probing ??= this.options
      .probe()
      .then(
        () => {
          this.markUp();
          return true;
        },
        (error: unknown) => {
          this.markDown(error);
          return false;
        },
      )
      .finally(() => {
        this.probing = undefined;
        this.lastProbeAt = Date.now();
      });
    return this.probing;
  }

  private markUp(): void {
    this.failedProbes = 0;
    this.configuration = false;
    this.lastFatalError = undefined;
    this.reason = undefined;
    if (this.up) return;
    const downForMs = Date.now() - this.since.getTime();
    this.up = true;
    this.since = new Date();
    this.logger.log({ event: 'dependency.available', dependency: this.name, ...(this.everUp ? { downForMs } : {}) });
    this.everUp = true;
    this.notify();
  }

  private markDown(error: unknown): void {
    if (this.stopped) return;
    this.failedProbes++;
    // The outage itself says more than a wrapper around it ("Failed query: select 1").
    this.reason = errorMessage(dependencyOutageOf(error) ?? error);
    const fatal = this.fatalErrorOf(error);
    this.configuration = fatal instanceof ConfigError;
    if (fatal && !this.everUp) {
      this.lastFatalError = fatal;
      // At start() the caller throws it; later, while the service still waits for the dependency, it ends the start.
      if (this.retrying) this.failStart(fatal);
      return;
    }
    if (this.up) {
      this.up = false;
      this.since = new Date();
      this.logger.warn({
        event: 'dependency.unavailable',
        dependency: this.name,
        reason: this.reason,
        configurationError: this.configuration,
      });
      this.notify();
    }
    this.retryInBackground();
  }

  private fatalErrorOf(error: unknown): Error | undefined {
    try {
      return this.options.fatalError?.(error);
    } catch {
      return undefined;
    }
  }

  private failStart(error: Error): void {
    this.stop();
    this.logger.error({ event: 'dependency.start_failed', dependency: this.name, reason: errorMessage(error) });
    const fail =
      this.options.onFatalError ??
      ((fatal: Error) =>
        setImmediate(() => {
          throw fatal;
        }));
    fail(error);
  }

  /** Probes with backoff until the dependency is up (one loop at a time). */
  private retryInBackground(): void {
    if (this.retrying || this.stopped) return;
    this.retrying = true;
    const next = (): void => {
      if (this.stopped || this.up) {
        this.retrying = false;
        return;
      }
      const delayMs = this.nextDelayMs();
      this.logger.debug({ event: 'dependency.retry_scheduled', dependency: this.name, reason: this.reason, retryInMs: delayMs });
      this.retryTimer = setTimeout(() => {
        void this.probeNow().then(next);
      }, delayMs);
      // A wait for a dependency must not keep a process alive that has nothing else to do.
      this.retryTimer.unref();
    };
    next();
  }

  /** Exponential with equal jitter (half fixed, half random): first initialDelayMs, doubling, at most maxDelayMs. */
  private nextDelayMs(): number {
    const cap = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** Math.max(0, Math.min(this.failedProbes - 1, 20)));
    return Math.round(cap / 2 + (this.random() * cap) / 2);
  }

  private notify(): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(this.up);
      } catch (error) {
        this.logger.error({ event: 'dependency.listener_failed', dependency: this.name, reason: errorMessage(error) });
      }
    }
  }
}
