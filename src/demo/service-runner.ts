// Runs one of the sample services as a child process for the demo: start, wait until ready, stop with SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export interface ServiceSpec {
  name: string;
  entry: string;
  port: number;
  env: Record<string, string>;
  logFile: string;
}

export class ServiceRunner {
  private child?: ChildProcess;
  private exit?: Promise<number | null>;

  constructor(readonly spec: ServiceSpec) {}

  get url(): string {
    return `http://127.0.0.1:${this.spec.port}`;
  }

  start(): void {
    mkdirSync(dirname(this.spec.logFile), { recursive: true });
    const log = createWriteStream(this.spec.logFile, { flags: 'w' });
    const child = spawn(process.execPath, [this.spec.entry], {
      env: { ...process.env, ...this.spec.env, PORT: String(this.spec.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    this.exit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    this.child = child;
  }

  /** Polls /health/ready; rejects if the process exits or `timeoutMs` passes. */
  async waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exit?.then(() => (exited = true));
    while (Date.now() < deadline) {
      if (exited) throw new Error(`${this.spec.name} exited during start; see ${this.spec.logFile}`);
      try {
        const response = await fetch(`${this.url}/health/ready`);
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`${this.spec.name} was not ready within ${timeoutMs / 1000} s; see ${this.spec.logFile}`);
  }

  /** SIGTERM, then wait for the drain; SIGKILL after `timeoutMs`. Resolves with the exit code. */
  async stop(timeoutMs = 20_000): Promise<number | null> {
    if (!this.child || this.child.exitCode !== null) return this.child?.exitCode ?? null;
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      this.exit,
      new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (code === 'timeout') {
      this.child.kill('SIGKILL');
      return null;
    }
    return code ?? null;
  }
}
