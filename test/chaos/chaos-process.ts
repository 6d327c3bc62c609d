// A chaos-service.ts child process of the chaos suite: started with its role and instance name, awaited until it
// prints READY, stopped by signal (SIGKILL for a crash). Keeps the tail of its output for a failure report, and the
// partition moves it logged (consumer.partitions_assigned) for the suite's report.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import type { ChaosRole } from './chaos-service';

const ROOT = resolve(__dirname, '../..');
const ENTRY = 'test/chaos/chaos-service.ts';
const KEPT_OUTPUT_CHARS = 200_000;

export interface PartitionMove {
  /** When the line was read (Date.now()). */
  at: number;
  instance: string;
  queue: string;
  partitions: number[];
  released: number[];
  acquired: number[];
  members: number;
}

export class ChaosProcess {
  private output = '';
  private partial = '';
  private exited = false;
  private readonly exit: Promise<void>;
  readonly moves: PartitionMove[] = [];

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    const take = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      this.output = (this.output + text).slice(-KEPT_OUTPUT_CHARS);
      this.partial += text;
      const lines = this.partial.split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) this.read(line);
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    this.exit = new Promise((done) =>
      child.once('exit', () => {
        this.exited = true;
        done();
      }),
    );
  }

  static start(role: ChaosRole, name: string, env: { AMQP_URL: string; DATABASE_URL: string }): ChaosProcess {
    const child = spawn(process.execPath, ['-r', './test/support/register-ts.js', ENTRY], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', CHAOS_ROLE: role, CHAOS_INSTANCE: name, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ChaosProcess(name, child);
  }

  get running(): boolean {
    return !this.exited;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Resolves once the process printed READY; fails if it exits first or after `timeoutMs`. */
  async ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!/^READY$/m.test(this.output)) {
      if (this.exited) throw new Error(`${this.name} exited before it was ready\n${this.tail()}`);
      if (Date.now() > deadline) throw new Error(`${this.name} not ready within ${timeoutMs} ms\n${this.tail()}`);
      await new Promise((done) => setTimeout(done, 50));
    }
  }

  /** Sends `signal` and waits (bounded) until the process is gone; SIGKILL after the bound. */
  async stop(signal: NodeJS.Signals, timeoutMs = 15_000): Promise<void> {
    if (this.exited) return;
    this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.exit.then(() => false),
      new Promise<boolean>((done) => (timer = setTimeout(() => done(true), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.child.kill('SIGKILL');
      await this.exit;
    }
  }

  /** For the exit handler: no waiting. */
  killNow(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }

  tail(chars = 4000): string {
    return `----- ${this.name} (pid ${this.pid}) -----\n${this.output.slice(-chars)}`;
  }

  private read(line: string): void {
    if (!line.includes('consumer.partitions_assigned')) return;
    try {
      const { message } = JSON.parse(line) as { message?: Partial<PartitionMove> & { event?: string } };
      if (message?.event !== 'consumer.partitions_assigned') return;
      this.moves.push({
        at: Date.now(),
        instance: this.name,
        queue: String(message.queue),
        partitions: message.partitions ?? [],
        released: message.released ?? [],
        acquired: message.acquired ?? [],
        members: message.members ?? 0,
      });
    } catch {
      // not a JSON line
    }
  }
}
