// Idempotency marks in Redis, for handlers whose effects live outside the database: claim, work, then mark done.
// A call that does not reach Redis fails as DependencyUnavailableError ("redis"): an outage, not the message's fault.
//
// What the deliveries of one event-loop turn ask of Redis (their claims, and the "done" marks of those that finished)
// goes as one script call: one command per turn instead of two per message (a command costs more in the client and
// the socket than in Redis).
import { AsyncResource } from 'node:async_hooks';
import { ReplyError, type Redis } from 'ioredis';
import {
  DependencyUnavailableError,
  PermanentError,
  TransientError,
  type IdempotencyClaim,
  type IdempotencyResult,
  type IdempotencyStore,
} from '@app/messaging';

/** The name Redis goes by as a dependency (its readiness check, `dependsOn`). */
export const REDIS_DEPENDENCY = 'redis';

/** ioredis's class of an error that Redis itself answered (ioredis exports it untyped). */
const RedisReplyError = ReplyError as new (...args: never[]) => Error;

const PROCESSING = 'processing';
const DONE = 'done';
/** The longest wait between two attempts to write a done mark while Redis is away. */
const MARK_RETRY_MAX_MS = 1000;
/** Most keys in one script call: a script holds Redis for its whole run. */
const MAX_KEYS_PER_CALL = 256;

/** What the script reports for a key that holds another type than a string (a list, a hash...): FOREIGN + the type. */
const FOREIGN = 'foreign:';

/**
 * KEYS: the marks to set done, then the marks to claim. ARGV[1]: how many to set done; ARGV[2]: the claim lease (ms);
 * ARGV[2 + i]: how long done mark i is remembered (ms). Returns, per claim: 1 if claimed, else the mark found (or 0).
 * Done marks go first: a claim of a key that finished in the same turn finds it done. A key of another type is
 * reported, not raised: an error would fail the claims of the whole turn.
 */
const SCRIPT = `
local doneCount = tonumber(ARGV[1])
for i = 1, doneCount do
  redis.call('SET', KEYS[i], '${DONE}', 'PX', ARGV[2 + i])
end
local found = {}
for i = doneCount + 1, #KEYS do
  if redis.call('SET', KEYS[i], '${PROCESSING}', 'PX', ARGV[2], 'NX') then
    found[#found + 1] = 1
  else
    local value = redis.pcall('GET', KEYS[i])
    if type(value) == 'table' and value.err then
      value = '${FOREIGN}' .. redis.call('TYPE', KEYS[i]).ok
    end
    found[#found + 1] = value or 0
  end
end
return found`;

type Operation = { claim: string } | { done: string; ttlMs: number };
type ScriptCall = (numberOfKeys: number, ...keysAndArgs: Array<string | number>) => Promise<unknown[]>;

export class RedisIdempotencyStore implements IdempotencyStore {
  /** Its handlers' consumers pause while Redis is down. */
  readonly dependency = REDIS_DEPENDENCY;
  private readonly batch: TurnBatch<Operation, unknown>;

  constructor(
    private readonly redis: Redis,
    /** How long a claim of a handler still working protects it; a crashed handler's claim expires after this. */
    private readonly claimTtlMs = 60_000,
    private readonly prefix = 'idempotency',
  ) {
    // ioredis sends a defined command by its SHA, and loads the script again if Redis has lost it (restart, failover).
    redis.defineCommand('idempotencyMarks', { lua: SCRIPT });
    const script = (redis as unknown as { idempotencyMarks: ScriptCall }).idempotencyMarks.bind(redis);
    this.batch = new TurnBatch(async (operations) => {
      const done: Array<{ done: string; ttlMs: number }> = [];
      const claims: string[] = [];
      for (const operation of operations) {
        if ('claim' in operation) claims.push(operation.claim);
        else done.push(operation);
      }
      const found = await script(
        done.length + claims.length,
        ...done.map((mark) => mark.done),
        ...claims,
        done.length,
        this.claimTtlMs,
        ...done.map((mark) => mark.ttlMs),
      ).catch((error: unknown) => Promise.reject(redisFailure(error)));
      let next = 0;
      return operations.map((operation) => ('claim' in operation ? found[next++] : undefined));
    });
  }

  async runOnce(claim: IdempotencyClaim, work: () => Promise<void>): Promise<IdempotencyResult> {
    const key = `${this.prefix}:${claim.consumer}:${claim.key}`;
    const found = await this.batch.add({ claim: key });
    if (found !== 1) {
      if (found === DONE) return 'duplicate';
      // Another delivery of this key is being handled right now (or its claim just expired): try again later.
      if (found === PROCESSING || found === 0) throw new TransientError(`Message key ${claim.key} is being handled by another consumer`);
      // Not a mark of this store: another application writes under the same prefix. Retrying cannot change that.
      const held =
        typeof found === 'string' && found.startsWith(FOREIGN)
          ? `a Redis ${found.slice(FOREIGN.length)}`
          : `the value ${JSON.stringify(found)}`;
      throw new PermanentError(
        `Redis key ${key} holds ${held}, not an idempotency mark: is another application using the prefix "${this.prefix}"?`,
      );
    }
    try {
      await work();
    } catch (error) {
      await this.redis.del(key).catch(() => undefined);
      throw error;
    }
    await this.markDone(key, claim.ttlMs);
    return 'processed';
  }

  /**
   * The handler has done its work: its mark is written even if Redis is away just now (tried again until it is back,
   * for as long as the claim protects the key), rather than failing a delivery whose redelivery would do the work twice.
   */
  private async markDone(key: string, ttlMs: number): Promise<void> {
    const giveUpAt = Date.now() + this.claimTtlMs;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.batch.add({ done: key, ttlMs });
        return;
      } catch (error) {
        if (!(error instanceof DependencyUnavailableError) || Date.now() >= giveUpAt) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(MARK_RETRY_MAX_MS, 50 * 2 ** Math.min(attempt, 10))));
      }
    }
  }
}

/**
 * An error that Redis answered stays as it is; any other (no connection, a reconnect that did not come in time, no
 * answer within the command timeout) means Redis is unavailable: the delivery is deferred, no attempt counted.
 */
function redisFailure(error: unknown): Error {
  if (error instanceof RedisReplyError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new DependencyUnavailableError(REDIS_DEPENDENCY, `Redis is unavailable: ${reason}`, { cause: error });
}

/**
 * Collects the items added during one event-loop turn and runs them as one call (in chunks of MAX_KEYS_PER_CALL); each
 * `add` resolves with its own result, or rejects with the call's error.
 */
class TurnBatch<Item, Result> {
  private waiting: Array<{ item: Item; resolve(result: Result): void; reject(error: unknown): void }> = [];
  /** Calls run in the batch's own context, not in that of the delivery that happened to come first. */
  private readonly scope = new AsyncResource('RedisIdempotencyBatch');

  constructor(private readonly call: (items: Item[]) => Promise<Result[]>) {}

  add(item: Item): Promise<Result> {
    return new Promise((resolve, reject) => {
      if (this.waiting.length === 0) setImmediate(() => this.scope.runInAsyncScope(() => this.flush()));
      this.waiting.push({ item, resolve, reject });
    });
  }

  private flush(): void {
    const taken = this.waiting;
    this.waiting = [];
    for (let start = 0; start < taken.length; start += MAX_KEYS_PER_CALL) {
      const chunk = taken.slice(start, start + MAX_KEYS_PER_CALL);
      this.call(chunk.map((entry) => entry.item)).then(
        (results) => chunk.forEach((entry, i) => entry.resolve(results[i])),
        (error: unknown) => chunk.forEach((entry) => entry.reject(error)),
      );
    }
  }
}
