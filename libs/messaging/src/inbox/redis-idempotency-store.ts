// Idempotency marks in Redis, for handlers whose effects live outside the database: claim, work, then mark done.
import type { Redis } from 'ioredis';
import { TransientError } from '../errors/message-errors';
import type { IdempotencyClaim, IdempotencyResult, IdempotencyStore } from './idempotency-store';

const PROCESSING = 'processing';
const DONE = 'done';

export class RedisIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly redis: Redis,
    /** How long a claim of a handler still working protects it; a crashed handler's claim expires after this. */
    private readonly claimTtlMs = 60_000,
    private readonly prefix = 'idempotency',
  ) {}

  async runOnce(claim: IdempotencyClaim, work: () => Promise<void>): Promise<IdempotencyResult> {
    const key = `${this.prefix}:${claim.consumer}:${claim.key}`;
    const claimed = await this.redis.set(key, PROCESSING, 'PX', this.claimTtlMs, 'NX');
    if (claimed !== 'OK') {
      if ((await this.redis.get(key)) === DONE) return 'duplicate';
      // Another delivery of this key is being handled right now: try again later rather than skip it.
      throw new TransientError(`Message key ${claim.key} is being handled by another consumer`);
    }
    try {
      await work();
    } catch (error) {
      await this.redis.del(key).catch(() => undefined);
      throw error;
    }
    await this.redis.set(key, DONE, 'PX', claim.ttlMs);
    return 'processed';
  }
}
