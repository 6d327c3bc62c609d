// Bench: the most one-transaction-per-message work this PostgreSQL can take from a pool of 10 connections (the
// library's default pool): BEGIN, one INSERT ... ON CONFLICT DO NOTHING, COMMIT, on plain `pg`. The inbox does that
// per message, so this is the ceiling of the PostgreSQL inbox row, set by the disk's fsync, not by the library.
import { Pool } from 'pg';

export interface CommitCeilingRun {
  perSecond: number;
  count: number;
  ms: number;
}

const POOL_SIZE = 10;
const TABLE = 'bench_commit_ceiling';

export async function commitCeilingRun(databaseUrl: string, seconds: number): Promise<CommitCeilingRun> {
  const pool = new Pool({ connectionString: databaseUrl, max: POOL_SIZE });
  pool.on('error', () => undefined);
  try {
    await pool.query(`create table if not exists ${TABLE} (key text primary key)`);
    await pool.query(`truncate ${TABLE}`);
    const started = performance.now();
    const until = started + seconds * 1000;
    let count = 0;
    const lane = async (): Promise<void> => {
      const client = await pool.connect();
      try {
        while (performance.now() < until) {
          await client.query('begin');
          await client.query(`insert into ${TABLE} (key) values ($1) on conflict do nothing`, [`k-${count++}`]);
          await client.query('commit');
        }
      } finally {
        client.release();
      }
    };
    await Promise.all(Array.from({ length: POOL_SIZE }, lane));
    const ms = performance.now() - started;
    return { perSecond: Math.round((count / ms) * 1000), count, ms };
  } finally {
    await pool.end();
  }
}
