// Test helper: a Redis server of its own for one test file (redis-server on a free port, nothing saved to disk), so
// that a fault spec can stop and start it without touching the machine's shared one. Always stopped and removed in
// afterAll, and when the test process exits.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './service-process';

const run = promisify(execFile);
const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';
const REDIS_CLI = process.env.REDIS_CLI ?? 'redis-cli';

export class PrivateRedis {
  private removed = false;
  private started = false;
  private readonly killAtExit = (): void => this.killNow();

  private constructor(
    readonly port: number,
    readonly root: string,
  ) {
    process.once('exit', this.killAtExit);
  }

  static async create(): Promise<PrivateRedis> {
    return new PrivateRedis(await freePort(), mkdtempSync(join(tmpdir(), 'private-redis-')));
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server (in the background, no persistence) and waits until it answers PING. */
  async start(): Promise<void> {
    await run(REDIS_SERVER, [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--daemonize',
      'yes',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      this.root,
      '--pidfile',
      join(this.root, 'redis.pid'),
      '--logfile',
      join(this.root, 'redis.log'),
    ]);
    this.started = true;
    await this.waitFor(true);
  }

  /** Stops the server without saving, and waits until its port is closed. */
  async stop(): Promise<void> {
    await run(REDIS_CLI, ['-p', String(this.port), 'shutdown', 'nosave']).catch(() => undefined);
    await this.waitFor(false);
    this.started = false;
  }

  get log(): string {
    try {
      return readFileSync(join(this.root, 'redis.log'), 'utf8');
    } catch {
      return '';
    }
  }

  async remove(): Promise<void> {
    if (this.removed) return;
    this.removed = true;
    process.removeListener('exit', this.killAtExit);
    if (this.started) await this.stop().catch(() => undefined);
    rmSync(this.root, { recursive: true, force: true });
  }

  private killNow(): void {
    if (this.removed) return;
    try {
      if (this.started) execFileSync(REDIS_CLI, ['-p', String(this.port), 'shutdown', 'nosave'], { stdio: 'ignore', timeout: 5000 });
    } catch {
      // nothing more can be done at exit
    }
    rmSync(this.root, { recursive: true, force: true });
  }

  /** Waits (bounded) until the port accepts connections (`open`) or refuses them. */
  private async waitFor(open: boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ((await portOpen(this.port)) === open) return;
      await new Promise((done) => setTimeout(done, 50));
    }
    throw new Error(`Redis on port ${this.port} still ${open ? 'closed' : 'open'} after ${timeoutMs} ms\n${this.log.slice(-2000)}`);
  }

  /**
   * A Redis server for the test file: created and started in beforeAll, removed in afterAll. Call it at the top
   * level of the file, outside any describe: Jest runs a file's own afterAll hooks before the top level's, so the server
   * goes only after what uses it has stopped (and its beforeAll runs before theirs).
   */
  static forTestFile(): { readonly server: PrivateRedis } {
    const holder: { server?: PrivateRedis } = {};
    beforeAll(async () => {
      holder.server = await PrivateRedis.create();
      await holder.server.start();
    }, 30_000);
    afterAll(async () => {
      await holder.server?.remove();
    }, 30_000);
    return {
      get server(): PrivateRedis {
        if (!holder.server) throw new Error('The private Redis server is made in beforeAll');
        return holder.server;
      },
    };
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}
