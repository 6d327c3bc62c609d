// Test helper: runs a sample app as a real child process (TypeScript sources, no build), on a free port, against the
// test's own vhost and database; captures its output for failures (or always with E2E_DEBUG=1) and stops it by signal.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import type { TestDatabase } from './test-database';

const ROOT = resolve(__dirname, '../..');
const DEBUG = process.env.E2E_DEBUG === '1';
/** Output kept per process (the tail); enough for a start-up and a few hundred log events. */
const MAX_OUTPUT_CHARS = 2_000_000;
/** Output shown in a failure message or a failure report. */
const SHOWN_OUTPUT_CHARS = 30_000;
/** Environment variables of the parent that reach the child; everything the apps configure from is set explicitly. */
const INHERITED_ENV = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ', 'LOG_LEVEL', 'LOG_FORMAT'];

export type AppName = 'orders' | 'notifications';

export interface ServiceProcessOptions {
  /** A sample app (AppName), or another app under `root`, such as one that `npm run new:service` wrote. */
  app: string;
  /** Repository to run it in: its working directory. Default this one. */
  root?: string;
  /** Entry file, relative to `root`: a `.ts` runs through register-ts (default `apps/<app>/src/main.ts`), a `.js` (a build) as it is. */
  entry?: string;
  /** AMQP_URL: the test's own vhost (createTestVhost). */
  amqpUrl: string;
  /** DATABASE_URL for a PostgreSQL database, DATA_DIR for a PGlite one (createTestDatabase). */
  database: TestDatabase;
  /** Extra environment (wins over everything else). */
  env?: Record<string, string>;
  /** Label in reports; default the app's name. */
  name?: string;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ServiceProcessError extends Error {
  override readonly name = 'ServiceProcessError';
}

/** One running app. Create with `ServiceProcesses.start`, which also makes sure it does not outlive the test file. */
export class ServiceProcess {
  private output = '';
  /** Characters written since start (the buffer keeps only the tail). */
  private written = 0;
  private exitStatus?: ExitStatus;
  private readonly exited: Promise<ExitStatus>;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    const spawnedAt = Date.now();
    const capture = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      if (DEBUG) process.stderr.write(prefixLines(`[${this.name} +${Date.now() - spawnedAt}ms] `, text));
      this.output = (this.output + text).slice(-MAX_OUTPUT_CHARS);
      this.written += text.length;
    };
    child.stdout?.on('data', capture);
    child.stderr?.on('data', capture);
    this.exited = new Promise((done) => {
      child.once('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        done(this.exitStatus);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.exitStatus === undefined;
  }

  /** Everything the process wrote (stdout and stderr interleaved), up to the last ~2 MB. */
  get logs(): string {
    return this.output;
  }

  /** A mark in the output, for `describe(since)`. */
  get outputMark(): number {
    return this.written;
  }

  /** Report of the process for a failure: state and the tail of its output (of what came after `since`, if given). */
  describe(since = 0): string {
    const state = this.exitStatus ? `exited (code ${this.exitStatus.code}, signal ${this.exitStatus.signal})` : 'running';
    const fresh = this.output.slice(-Math.max(0, this.written - since));
    return `----- ${this.name} (pid ${this.pid}, port ${this.port}, ${state}) -----\n${fresh.slice(-SHOWN_OUTPUT_CHARS)}`;
  }

  /** GET/POST... on the app, with a bound so that a hung app fails the test instead of the test's timeout. */
  fetch(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${this.baseUrl}${path}`, { signal: AbortSignal.timeout(10_000), ...init });
  }

  /** Status of GET /health/ready, or 0 when nothing answers. */
  async readiness(): Promise<number> {
    try {
      const response = await fetch(`${this.baseUrl}/health/ready`, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      return response.status;
    } catch {
      return 0;
    }
  }

  /** Polls /health/ready until it answers 200; fails early if the process exits. */
  async waitUntilReady(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 0;
    while (Date.now() < deadline) {
      if (!this.running) throw new ServiceProcessError(`${this.name} exited before it was ready\n${this.describe()}`);
      last = await this.readiness();
      if (last === 200) return;
      await sleep(100);
    }
    throw new ServiceProcessError(
      `${this.name} not ready within ${timeoutMs} ms (last /health/ready: ${last || 'no answer'})\n${this.describe()}`,
    );
  }

  /** Resolves when the process has exited, or with undefined after `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<ExitStatus | undefined> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([this.exited, new Promise<undefined>((done) => (timer = setTimeout(() => done(undefined), timeoutMs)))]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends `signal` and resolves with how the process ended. If it is still running after `timeoutMs` it is killed
   * (SIGKILL) and the call fails: a service that does not stop on its own is a failure, not something to wait out.
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20_000): Promise<ExitStatus> {
    if (this.exitStatus) return this.exitStatus;
    this.child.kill(signal);
    const status = await this.waitForExit(timeoutMs);
    if (status) return status;
    await this.kill();
    throw new ServiceProcessError(`${this.name} still running ${timeoutMs} ms after ${signal}; killed\n${this.describe()}`);
  }

  /** SIGKILL, for leftovers; resolves once it is gone (bounded). */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.waitForExit(5000);
  }
}

/** A free TCP port on the loopback interface (bind to 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.unref();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

const FAILURE_HOOK = '__e2eOnFailure';

/**
 * The app processes of one test file. Call in the describe body: it kills leftovers in afterAll, and prints every
 * process's output when a test or hook fails (needs the e2e environment, see e2e-environment.ts).
 */
export class ServiceProcesses {
  private readonly all: ServiceProcess[] = [];
  /** Output already shown in a failure report, per process. */
  private readonly reported = new Map<ServiceProcess, number>();

  static forTestFile(): ServiceProcesses {
    const processes = new ServiceProcesses();
    (globalThis as Record<string, unknown>)[FAILURE_HOOK] = (what: string) => processes.reportFailure(what);
    afterAll(async () => {
      await Promise.all(processes.all.map((service) => service.kill()));
    }, 15_000);
    return processes;
  }

  /**
   * Starts an app and waits until it is ready; a port taken in the meantime by someone else is retried. Start-up takes
   * ~5 s on an idle machine (most of it loading and transpiling the sources), several times that on a busy one.
   */
  async start(options: ServiceProcessOptions, readyTimeoutMs = 90_000): Promise<ServiceProcess> {
    for (let attempt = 1; ; attempt++) {
      const service = this.spawn(options, await freePort());
      try {
        await service.waitUntilReady(readyTimeoutMs);
        return service;
      } catch (error) {
        await service.kill();
        if (attempt < 3 && service.logs.includes('EADDRINUSE')) continue;
        throw error;
      }
    }
  }

  /** Starts an app on a free port without waiting for it: for a start that is meant to fail (see waitForExit). */
  async launch(options: ServiceProcessOptions): Promise<ServiceProcess> {
    return this.spawn(options, await freePort());
  }

  /** SIGTERM to every process still running, in parallel; a process that does not stop in time is killed. */
  async stopAll(timeoutMs = 15_000): Promise<void> {
    await Promise.all(this.all.map((service) => service.stop('SIGTERM', timeoutMs).catch(() => undefined)));
  }

  /** Prints the output of every process started so far, leaving out what an earlier report of this file showed. */
  reportFailure(what: string): void {
    if (DEBUG || this.all.length === 0) return;
    const sections = this.all.map((service) => {
      const section = service.describe(this.reported.get(service) ?? 0);
      this.reported.set(service, service.outputMark);
      return section;
    });
    console.error(`Output of the app processes (failed: ${what})\n${sections.join('\n')}`);
  }

  private spawn(options: ServiceProcessOptions, port: number): ServiceProcess {
    const env: Record<string, string> = {};
    for (const key of INHERITED_ENV) {
      const value = process.env[key];
      if (value !== undefined) env[key] = value;
    }
    Object.assign(env, {
      NO_COLOR: '1',
      // A developer's .env must not reach the app: everything it configures from is set here.
      ENV_FILE: '/dev/null',
      PORT: String(port),
      AMQP_URL: options.amqpUrl,
      ...(options.database.kind === 'postgres' ? { DATABASE_URL: options.database.url ?? '' } : { DATA_DIR: options.database.dataDir }),
      ...options.env,
    });
    const entry = options.entry ?? `apps/${options.app}/src/main.ts`;
    const child = spawn(process.execPath, entry.endsWith('.ts') ? ['-r', './test/support/register-ts.js', entry] : [entry], {
      cwd: options.root ?? ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new ServiceProcess(options.name ?? options.app, port, child);
    this.all.push(service);
    return service;
  }
}

function prefixLines(prefix: string, text: string): string {
  return text.replace(/^(?=.)/gm, prefix);
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
