// Test helper: a PostgreSQL server of its own for one test file (initdb into a temporary folder, pg_ctl on a free
// port), so that a fault spec can stop and start it without touching the machine's shared server. Always removed in
// afterAll, and killed when the test process exits, whatever happened before.
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from './service-process';
import type { TestDatabase } from './test-database';

const run = promisify(execFile);

export interface PrivatePostgresOptions {
  /** Password of the superuser "postgres" over TCP (scram-sha-256); without it TCP connections are trusted. */
  password?: string;
}

export class PrivatePostgres {
  private removed = false;
  private readonly killAtExit = (): void => this.killNow();

  private constructor(
    readonly port: number,
    /** Folder of the data directory, the unix socket and the server's log. */
    readonly root: string,
    private readonly bin: string,
    private readonly runAs: string | undefined,
    private readonly password: string | undefined,
  ) {
    process.once('exit', this.killAtExit);
  }

  /** Makes a fresh cluster (not started). Needs the PostgreSQL server binaries: PG_BIN, else /usr/lib/postgresql/<v>/bin, else PATH. */
  static async create(options: PrivatePostgresOptions = {}): Promise<PrivatePostgres> {
    const bin = serverBinaries();
    const runAs = process.getuid?.() === 0 ? 'postgres' : undefined;
    const root = mkdtempSync(join(tmpdir(), 'private-pg-'));
    // The password is in place from the first start: a client must never meet the server without it.
    const passwordFile = join(root, 'password');
    if (options.password) writeFileSync(passwordFile, `${options.password}\n`, { mode: 0o600 });
    if (runAs) {
      const uid = Number(execFileSync('id', ['-u', runAs], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', runAs], { encoding: 'utf8' }).trim());
      chownSync(root, uid, gid);
      if (options.password) chownSync(passwordFile, uid, gid);
    }
    const server = new PrivatePostgres(await freePort(), root, bin, runAs, options.password);
    const auth = options.password ? ['--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${passwordFile}`] : ['--auth=trust'];
    await server.pg('initdb', ['-D', server.dataDir, '-U', 'postgres', '-E', 'UTF8', '--no-sync', '--no-instructions', ...auth]);
    rmSync(passwordFile, { force: true });
    return server;
  }

  get dataDir(): string {
    return join(this.root, 'data');
  }

  /** postgres:// URL of `database` over TCP, as the services use it (with the password, when the server has one). */
  url(database: string, password = this.password): string {
    const credentials = password === undefined ? 'postgres' : `postgres:${encodeURIComponent(password)}`;
    return `postgres://${credentials}@127.0.0.1:${this.port}/${database}`;
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    const settings = [
      `-p ${this.port}`,
      `-k ${this.root}`,
      '-c listen_addresses=127.0.0.1',
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=60',
    ].join(' ');
    await this.pg('pg_ctl', ['start', '-D', this.dataDir, '-w', '-t', '60', '-l', join(this.root, 'server.log'), '-o', settings]);
  }

  /** Stops the server: "fast" ends every session at once (57P01), as a restart by an operator does. */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.pg('pg_ctl', ['stop', '-D', this.dataDir, '-w', '-t', '60', '-m', mode]);
  }

  get running(): boolean {
    return existsSync(join(this.dataDir, 'postmaster.pid'));
  }

  async createDatabase(name: string): Promise<void> {
    await this.query(`create database "${name}"`);
  }

  /** `name` on this server (made now, unless `create` is false) as the service helpers take it; it goes with the server. */
  async testDatabase(name: string, { create = true } = {}): Promise<TestDatabase> {
    if (create) await this.createDatabase(name);
    return { kind: 'postgres', url: this.url(name), dataDir: '', drop: () => Promise.resolve() };
  }

  /** Runs one statement as the superuser over the unix socket (no password), and returns its rows. */
  async query<T extends object = Record<string, unknown>>(text: string, database = 'postgres'): Promise<T[]> {
    const client = new Client({ host: this.root, port: this.port, user: 'postgres', database });
    client.on('error', () => undefined); // the test may stop the server under it
    await client.connect();
    try {
      return (await client.query<T>(text)).rows;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** The server's log, for a failure report. */
  get log(): string {
    try {
      return readFileSync(join(this.root, 'server.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** Stops the server (immediate) and deletes its folder. */
  async remove(): Promise<void> {
    if (this.removed) return;
    this.removed = true;
    process.removeListener('exit', this.killAtExit);
    if (this.running) await this.stop('immediate').catch(() => undefined);
    rmSync(this.root, { recursive: true, force: true });
  }

  private killNow(): void {
    if (this.removed) return;
    try {
      if (this.running) execFileSync(...this.command('pg_ctl', ['stop', '-D', this.dataDir, '-m', 'immediate']), { stdio: 'ignore' });
    } catch {
      // nothing more can be done at exit
    }
    rmSync(this.root, { recursive: true, force: true });
  }

  private async pg(tool: string, args: string[]): Promise<void> {
    const [file, fileArgs] = this.command(tool, args);
    try {
      await run(file, fileArgs, { timeout: 90_000, cwd: this.root });
    } catch (error) {
      const { stderr, stdout } = error as { stderr?: string; stdout?: string };
      throw new Error(`${tool} ${args.join(' ')} failed: ${stderr || stdout || String(error)}\n${this.log.slice(-4000)}`, { cause: error });
    }
  }

  private command(tool: string, args: string[]): [string, string[]] {
    const path = join(this.bin, tool);
    return this.runAs ? ['runuser', ['-u', this.runAs, '--', path, ...args]] : [path, args];
  }

  /**
   * A PostgreSQL server for the test file: created and started in beforeAll, removed in afterAll. Call it at the top
   * level of the file, outside any describe: Jest runs a file's own afterAll hooks before the top level's, so the server
   * goes only after what uses it has stopped (and its beforeAll runs before theirs).
   */
  static forTestFile(options: PrivatePostgresOptions & { start?: boolean } = {}): { readonly server: PrivatePostgres } {
    const holder: { server?: PrivatePostgres } = {};
    beforeAll(async () => {
      holder.server = await PrivatePostgres.create(options);
      if (options.start ?? true) await holder.server.start();
    }, 90_000);
    afterAll(async () => {
      await holder.server?.remove();
    }, 90_000);
    return {
      get server(): PrivatePostgres {
        if (!holder.server) throw new Error('The private PostgreSQL server is made in beforeAll');
        return holder.server;
      },
    };
  }
}

/** The folder of initdb and pg_ctl: PG_BIN, else the newest /usr/lib/postgresql/<version>/bin (Debian), else PATH. */
function serverBinaries(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((name) => /^\d+$/.test(name) && existsSync(join(debian, name, 'bin', 'pg_ctl')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return join(debian, versions[0], 'bin');
  }
  for (const folder of (process.env.PATH ?? '').split(':')) {
    if (folder && existsSync(join(folder, 'pg_ctl')) && existsSync(join(folder, 'initdb'))) return folder;
  }
  throw new Error('A private PostgreSQL server needs initdb and pg_ctl: set PG_BIN to the folder of the server binaries');
}
