// Bench: what a bench run borrows from the machine and gives back: a RabbitMQ vhost and a PostgreSQL database of its
// own, and the Redis keys its idempotent consumers write. Everything is removed at the end, also on Ctrl-C.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { rabbitmqctl } from '../../test/support/test-broker';

const AMQP_HOST = process.env.AMQP_HOST ?? '127.0.0.1';
const AMQP_PORT = process.env.AMQP_PORT ?? '5672';
const DATABASE_ADMIN_URL = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export class BenchEnvironment {
  readonly vhost: string;
  readonly amqpUrl: string;
  /** Name and URL of the database (when asked for one). */
  readonly database?: string;
  readonly databaseUrl?: string;
  private released = false;
  private settingUp?: Promise<void>;

  /** Names only: call setUp() to make them. Kept apart so that Ctrl-C during setUp() still finds what to remove. */
  constructor(withDatabase: boolean) {
    const tag = randomBytes(4).toString('hex');
    this.vhost = `bench-${tag}`;
    this.amqpUrl = `amqp://guest:guest@${AMQP_HOST}:${AMQP_PORT}/${encodeURIComponent(this.vhost)}`;
    if (withDatabase) {
      this.database = `bench_${tag}`;
      const url = new URL(DATABASE_ADMIN_URL);
      url.pathname = `/${this.database}`;
      this.databaseUrl = url.toString();
    }
  }

  setUp(): Promise<void> {
    this.settingUp = (async () => {
      await rabbitmqctl('add_vhost', this.vhost);
      await rabbitmqctl('set_permissions', '-p', this.vhost, 'guest', '.*', '.*', '.*');
      if (this.database) await admin((client) => client.query(`create database "${this.database}"`));
    })();
    return this.settingUp;
  }

  /** Empties the library's tables between runs, so that each run starts from the same table sizes. */
  async truncateMessagingTables(): Promise<void> {
    if (!this.databaseUrl) return;
    const client = new Client({ connectionString: this.databaseUrl });
    await client.connect();
    try {
      await client.query('truncate table inbox, outbox');
    } catch (error) {
      // Before the first library app ran its migrations there is nothing to empty.
      if ((error as { code?: string }).code !== '42P01') throw error;
    } finally {
      await client.end();
    }
  }

  /** Deletes the vhost, the database and the Redis keys of `redisKeyPatterns`. Safe to call twice. */
  async release(redisKeyPatterns: string[] = []): Promise<void> {
    if (this.released) return;
    this.released = true;
    // A Ctrl-C during setUp(): let it finish, or what it is making would be made after the clean-up.
    await this.settingUp?.catch(() => undefined);
    const problems: string[] = [];
    await rabbitmqctl('delete_vhost', this.vhost).catch((error: unknown) => problems.push(`vhost ${this.vhost}: ${String(error)}`));
    if (this.database) {
      await admin((client) => client.query(`drop database if exists "${this.database}" with (force)`)).catch((error: unknown) =>
        problems.push(`database ${this.database}: ${String(error)}`),
      );
    }
    if (redisKeyPatterns.length > 0) {
      await deleteRedisKeys(redisKeyPatterns).catch((error: unknown) => problems.push(`redis keys: ${String(error)}`));
    }
    for (const problem of problems) console.error(`bench: could not clean up ${problem}`);
  }
}

async function admin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: DATABASE_ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function deleteRedisKeys(patterns: string[]): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    for (const pattern of patterns) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        if (keys.length > 0) await redis.unlink(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}
