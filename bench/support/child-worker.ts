// Bench: the bench's end of the line protocol with a worker process (see worker-link.js): spawn it, wait for its
// events with a deadline each, tell it to go and to stop, and never leave it running.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

const PREFIX = '@bench ';
const STDERR_TAIL = 40;

export type WorkerEvent = Record<string, unknown> & { event: string };

/** Every worker still running, so that Ctrl-C or a crash of the bench can end them all. */
const live = new Set<ChildWorker>();

export class WorkerFailed extends Error {}
/** The worker is alive but said nothing of the kind in time. */
export class WorkerTimedOut extends WorkerFailed {}

export class ChildWorker {
  private readonly child: ChildProcess;
  private readonly events: WorkerEvent[] = [];
  private readonly stderr: string[] = [];
  private waiter?: () => void;
  private exitCode?: number | null;
  private readonly exited: Promise<void>;

  constructor(
    readonly label: string,
    command: string,
    args: string[],
    options: { cwd: string; env: NodeJS.ProcessEnv },
  ) {
    this.child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    live.add(this);
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      if (!line.startsWith(PREFIX)) return;
      this.events.push(JSON.parse(line.slice(PREFIX.length)) as WorkerEvent);
      this.waiter?.();
    });
    createInterface({ input: this.child.stderr! }).on('line', (line) => {
      this.stderr.push(line);
      if (this.stderr.length > STDERR_TAIL) this.stderr.shift();
    });
    this.child.stdin!.on('error', () => undefined); // the worker may be gone already
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code) => {
        this.exitCode = code;
        live.delete(this);
        this.waiter?.();
        resolve();
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The next event named `name` (events are kept, so one said before the call counts); fails on exit or deadline. */
  async waitFor(name: string, timeoutMs: number): Promise<WorkerEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.events.findIndex((event) => event.event === name || event.event === 'failed');
      if (index >= 0) {
        const [event] = this.events.splice(index, 1);
        if (event.event === 'failed') throw this.failure(`failed: ${String(event.reason)}`);
        return event;
      }
      if (this.exitCode !== undefined) throw this.failure(`exited (code ${String(this.exitCode)}) before "${name}"`);
      const left = deadline - Date.now();
      if (left <= 0) throw this.failure(`no "${name}" within ${Math.round(timeoutMs / 1000)} s`, WorkerTimedOut);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  send(command: 'go' | 'stop' | 'cutoff'): void {
    if (this.exitCode === undefined) this.child.stdin!.write(`${command}\n`);
  }

  /** Asks the worker to stop; kills it if it has not exited within `timeoutMs`. */
  async stop(timeoutMs = 12_000): Promise<void> {
    if (this.exitCode !== undefined) return;
    this.send('stop');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    if (this.exitCode === undefined) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  private failure(what: string, kind: typeof WorkerFailed = WorkerFailed): WorkerFailed {
    const tail = this.stderr.slice(-10).join('\n');
    return new kind(`${this.label} ${what}${tail ? `\n${tail}` : ''}`);
  }
}

/** Stops every worker still running (bounded: each is killed if it does not stop in time). */
export async function stopAllWorkers(): Promise<void> {
  await Promise.all([...live].map((worker) => worker.stop(3000)));
}
