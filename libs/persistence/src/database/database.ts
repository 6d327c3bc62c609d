// Opens a service's database: PostgreSQL when a URL is given, else an embedded PGlite under a data folder.
// Both are driven through drizzle-orm with the same schema and migrations.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePostgres } from 'drizzle-orm/node-postgres';
import { migrate as migratePostgres } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { Pool } from 'pg';

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
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  return options.url ? openPostgres(options.url, options.poolSize ?? 10) : openPglite(options.dataDir);
}

function openPostgres(url: string, poolSize: number): DatabaseHandle {
  const pool = new Pool({ connectionString: url, max: poolSize });
  // An idle client that loses its server must not take the process down; the next query reports the problem.
  pool.on('error', () => undefined);
  const db = drizzlePostgres(pool);
  return {
    db,
    kind: 'postgres',
    connections: poolSize,
    location: url.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1***@'),
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    migrate: (folder, table) => migratePostgres(db, { migrationsFolder: folder, migrationsTable: table }),
    close: () => pool.end(),
  };
}

async function openPglite(dataDir: string): Promise<DatabaseHandle> {
  const directory = resolve(dataDir);
  mkdirSync(directory, { recursive: true });
  const client = await PGlite.create(directory);
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
