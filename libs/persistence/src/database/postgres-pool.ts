// The node-postgres pool of a service's database, made to live through a restart of the server: every client has an
// error listener from birth (a client checked out for a transaction has none of the pool's, and a connection it
// loses would otherwise end the process), and what fails because the database is away reaches the caller as a
// DependencyUnavailableError (the driver's error as its cause), which the HTTP layer answers 503 and the consume
// pipeline defers. Each loss or refused connection is also reported, so that the database's monitor looks at once.
import pg from 'pg';
import { databaseUnavailable, databaseConfigurationSqlState, isDatabaseUnavailable } from './postgres-errors';

export interface PostgresPoolOptions {
  url: string;
  /** Connections at most. */
  max: number;
  /** How long getting a connection may take (a new one, or waiting for a busy pool). 0: no bound. */
  connectTimeoutMs: number;
  /** The server's statement_timeout for the pool's sessions; undefined: the server's own setting. */
  statementTimeoutMs?: number;
  /** Called when a connection is lost or cannot be made (not for a configuration error). */
  onConnectionFailure?: (error: unknown) => void;
}

/** TCP keep-alive from this idle time on, so that a connection to a vanished host is noticed. */
const KEEP_ALIVE_AFTER_MS = 10_000;

type Callback = (error: unknown, ...rest: unknown[]) => void;
type ConnectCallback = (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void;

export function createPostgresPool(options: PostgresPoolOptions): pg.Pool {
  const report = (error: unknown): void => options.onConnectionFailure?.(error);

  class ResilientClient extends pg.Client {
    /** The error that cut this client's connection, once it has. */
    private lost?: unknown;

    constructor(config?: string | pg.ClientConfig) {
      super(config);
      // From birth: the pool listens only while the client is idle, not while a transaction holds it.
      this.on('error', (error: Error) => {
        if (this.lost !== undefined) return;
        this.lost = error;
        report(error);
      });
    }

    // Every query path (promise, callback; the pool's own query goes through callbacks) gets the error converted.
    override query(...args: unknown[]): never {
      const last = args.length > 0 ? args[args.length - 1] : undefined;
      if (typeof last === 'function') {
        const callback = last as Callback;
        args[args.length - 1] = (error: unknown, ...rest: unknown[]) => callback(error ? this.converted(error) : error, ...rest);
      }
      const result = (super.query as (...queryArgs: unknown[]) => unknown)(...args);
      if (result instanceof Promise) return result.catch((error: unknown) => Promise.reject(this.converted(error))) as never;
      return result as never;
    }

    /** A failure of a lost connection (or one the server ended) as a DependencyUnavailableError; others as they are. */
    private converted(error: unknown): Error {
      // The driver fails queries with Error instances only.
      if (this.lost === undefined && !isDatabaseUnavailable(error)) return error as Error;
      report(error);
      return databaseUnavailable(error, 'the database connection was lost');
    }
  }

  class ResilientPool extends pg.Pool {
    override connect(): Promise<pg.PoolClient>;
    override connect(callback: ConnectCallback): void;
    override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | void {
      if (callback) {
        super.connect((error, client, done) => callback(error ? this.connectFailure(error) : error, client, done));
        return;
      }
      return super.connect().catch((error: unknown) => Promise.reject(this.connectFailure(error)));
    }

    /** Any failure to get a connection is the database being away, but a refusal of our settings or a pool that has ended. */
    private connectFailure(error: unknown): Error {
      if (this.ending || databaseConfigurationSqlState(error)) return error as Error;
      report(error);
      return databaseUnavailable(error, 'the database cannot be reached');
    }
  }

  const pool = new ResilientPool({
    connectionString: options.url,
    max: options.max,
    connectionTimeoutMillis: options.connectTimeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEP_ALIVE_AFTER_MS,
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    Client: ResilientClient,
  });
  // An idle client that loses its server is removed by the pool, which then emits this: not a reason to exit.
  pool.on('error', (error) => report(error));
  return pool;
}
