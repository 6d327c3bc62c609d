// Opens a service's database: PostgreSQL when a URL is given, else an embedded PGlite under a data folder.
// Both are driven through drizzle-orm with the same schema and migrations. Opening a PostgreSQL database connects to
// nothing yet: the pool connects on first use, so that a service can start while its database is away.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePostgres } from 'drizzle-orm/node-postgres';
import { migrate as migratePostgres } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { createPostgresPool } from './postgres-pool';

/** A drizzle database of either kind. */
export type Database = PgDatabase<PgQueryResultHKT>;
/** A drizzle transaction of either kind: what handlers and `outbox.add` are given. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

export interface DatabaseHandle {
  readonly db: Database;
  readonly kind: 'postgres' | 'pglite';
  /** Connections that can run transactions at once (the pool's size; 1 for PGlite). */
  readonly connections: number;
  /** Where the data lives, with any password hidden. */
  readonly location: string;
  /** Throws unless the database answers a trivial query. */
  ping(): Promise<void>;
  /** Applies the migrations in `folder` (drizzle-kit format), recording them in `table`. */
  migrate(folder: string, table: string): Promise<void>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgres:// URL. Without it, an embedded database lives in `dataDir`. */
  url?: string;
  dataDir: string;
  /** Connections in the PostgreSQL pool. Default 10. */
  poolSize?: number;
  /** How long getting a PostgreSQL connection may take (a new one, or a free one of a busy pool). Default 5000 ms. */
  connectTimeoutMs?: number;
  /** statement_timeout of the pool's sessions (not of migrations). Default: the server's own setting. */
  statementTimeoutMs?: number;
  /** Called when a PostgreSQL connection is lost or cannot be made: the service's database monitor listens. */
  onConnectionFailure?: (error: unknown) => void;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  return options.url ? openPostgres(options.url, options) : openPglite(options.dataDir);
}

function openPostgres(url: string, options: OpenDatabaseOptions): DatabaseHandle {
  const poolSize = options.poolSize ?? 10;
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const onConnectionFailure = options.onConnectionFailure;
  const pool = createPostgresPool({
    url,
    max: poolSize,
    connectTimeoutMs,
    statementTimeoutMs: options.statementTimeoutMs,
    onConnectionFailure,
  });
  const db = drizzlePostgres(pool);
  return {
    db,
    kind: 'postgres',
    connections: poolSize,
    location: url.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1***@'),
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    // On a connection of their own, without the statement timeout: a migration may take long.
    migrate: async (folder, table) => {
      const migrations = createPostgresPool({ url, max: 1, connectTimeoutMs, onConnectionFailure });
      try {
        await migratePostgres(drizzlePostgres(migrations), { migrationsFolder: folder, migrationsTable: table });
      } finally {
        await migrations.end().catch(() => undefined);
      }
    },
    close: () => pool.end(),
  };
}

/** The dataDir of an embedded database that lives in memory only (DatabaseModule's `inMemory`, for tests). */
export const IN_MEMORY_DATA_DIR = 'memory://';

async function openPglite(dataDir: string): Promise<DatabaseHandle> {
  const inMemory = dataDir === IN_MEMORY_DATA_DIR;
  const directory = inMemory ? dataDir : resolve(dataDir);
  if (!inMemory) mkdirSync(directory, { recursive: true });
  const client = inMemory ? await PGlite.create() : await PGlite.create(directory);
  const db = drizzlePglite(client);
  return {
    db,
    kind: 'pglite',
    connections: 1,
    location: directory,
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    migrate: (folder, table) => migratePglite(db, { migrationsFolder: folder, migrationsTable: table }),
    close: () => client.close(),
  };
}

/** The rows of an `execute` result: node-postgres and PGlite both answer `{ rows }`. */
export function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}

/** The repository root (nearest folder with a package.json above this file), in sources and in the build alike. */
export function projectRoot(from: string = __dirname): string {
  let current = from;
  while (!existsSync(join(current, 'package.json'))) {
    const parent = dirname(current);
    if (parent === current) throw new Error(`No package.json above ${from}`);
    current = parent;
  }
  return current;
}

/** Migrations of the library's own tables (outbox, inbox). */
export const MESSAGING_MIGRATIONS_FOLDER = join(projectRoot(), 'libs/persistence/migrations');
