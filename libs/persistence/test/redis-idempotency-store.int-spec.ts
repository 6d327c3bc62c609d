// Integration (Redis): the Redis idempotency store claims the deliveries of one turn with one script call and marks
// them done with another, and keeps the per-message guarantees: one effect per key, a failed handler leaves no mark,
// a crashed handler's claim expires, a key of another application fails its own delivery only.
import { Redis } from 'ioredis';
import { PermanentError, TransientError, type IdempotencyClaim } from '@app/messaging';
import { RedisIdempotencyStore } from '@app/persistence';

const prefix = `test-redis-store-${process.pid}-${Date.now()}`;
let redis: Redis;
let store: RedisIdempotencyStore;
let run = 0;

function claim(key: string, ttlMs = 60_000): IdempotencyClaim {
  return { consumer: `ledger-${run}`, key, messageId: `m-${key}`, ttlMs };
}

function markOf(key: string): string {
  return `${prefix}:ledger-${run}:${key}`;
}

/** Commands the store sends from now on (auto-pipelining is off here: one sendCommand a command). */
function countCommands(): () => string[] {
  const spy = jest.spyOn(redis, 'sendCommand');
  return () => {
    const names = spy.mock.calls.map(([command]) => (command as { name: string }).name);
    spy.mockRestore();
    return names;
  };
}

beforeAll(async () => {
  redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 2 });
  store = new RedisIdempotencyStore(redis, 60_000, prefix);
  // Connected: the handshake's commands are not counted below.
  await redis.ping();
});

beforeEach(() => {
  run++;
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

describe('the Redis idempotency store', () => {
  it('claims and marks 100 deliveries of one turn with one script call a turn, then skips them all as duplicates', async () => {
    const keys = Array.from({ length: 100 }, (_, i) => `k${i}`);
    let effects = 0;
    const sent = countCommands();
    const results = await Promise.all(keys.map((key) => store.runOnce(claim(key), async () => void effects++)));
    expect(results).toEqual(keys.map(() => 'processed'));
    expect(effects).toBe(100);
    // The claims in one call, the done marks in another (plus an eval if Redis did not have the script yet).
    const names = sent();
    expect(names.length).toBeGreaterThanOrEqual(2);
    expect(names.filter((name) => name === 'evalsha').length).toBeLessThanOrEqual(2);
    expect(names.filter((name) => name === 'eval').length).toBeLessThanOrEqual(1);
    expect(names.filter((name) => name !== 'evalsha' && name !== 'eval')).toEqual([]);
    expect(await redis.get(markOf('k42'))).toBe('done');

    const sentAgain = countCommands();
    const again = await Promise.all(keys.map((key) => store.runOnce(claim(key), async () => void effects++)));
    expect(again).toEqual(keys.map(() => 'duplicate'));
    expect(effects).toBe(100);
    expect(sentAgain()).toEqual(['evalsha']);
  });

  it('runs one of two deliveries of a key in the same turn; the other is told to retry, then skipped', async () => {
    let effects = 0;
    const work = async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      effects++;
    };
    const [first, second] = await Promise.allSettled([store.runOnce(claim('same'), work), store.runOnce(claim('same'), work)]);
    expect(first).toEqual({ status: 'fulfilled', value: 'processed' });
    expect(second.status).toBe('rejected');
    expect((second as PromiseRejectedResult).reason).toBeInstanceOf(TransientError);
    expect(effects).toBe(1);
    // Its retry comes after the first finished: a duplicate.
    await expect(store.runOnce(claim('same'), work)).resolves.toBe('duplicate');
    expect(effects).toBe(1);
  });

  it("leaves no mark when the handler fails, and fails that delivery only, with the handler's error", async () => {
    const results = await Promise.allSettled([
      store.runOnce(claim('ok'), async () => undefined),
      store.runOnce(claim('fails'), async () => {
        throw new Error('downstream refused');
      }),
    ]);
    expect(results[0]).toEqual({ status: 'fulfilled', value: 'processed' });
    expect(String((results[1] as PromiseRejectedResult).reason)).toContain('downstream refused');
    expect(await redis.exists(markOf('fails'))).toBe(0);
    await expect(store.runOnce(claim('fails'), async () => undefined)).resolves.toBe('processed');
  });

  it('remembers a processed key for its time to live, and the claim of a crashed handler for the lease only', async () => {
    await store.runOnce(claim('remembered', 30_000), async () => undefined);
    const ttl = await redis.pttl(markOf('remembered'));
    expect(ttl).toBeGreaterThan(25_000);
    expect(ttl).toBeLessThanOrEqual(30_000);

    // A handler that crashed mid-work leaves its claim; the next delivery is retried until the lease runs out.
    const shortLease = new RedisIdempotencyStore(redis, 300, prefix);
    await redis.set(markOf('crashed'), 'processing', 'PX', 300);
    await expect(shortLease.runOnce(claim('crashed'), async () => undefined)).rejects.toBeInstanceOf(TransientError);
    await new Promise((resolve) => setTimeout(resolve, 400));
    await expect(shortLease.runOnce(claim('crashed'), async () => undefined)).resolves.toBe('processed');
  });

  it("refuses a key that holds another application's value, as a permanent error of that delivery only", async () => {
    await redis.rpush(markOf('a-list'), 'x');
    await redis.set(markOf('a-string'), 'hello');
    let effects = 0;
    const results = await Promise.allSettled(
      ['a-list', 'a-string', 'mine'].map((key) => store.runOnce(claim(key), async () => void effects++)),
    );

    expect(results[2]).toEqual({ status: 'fulfilled', value: 'processed' });
    expect(effects).toBe(1);
    const [list, string] = results.map((result) => (result as PromiseRejectedResult).reason as Error);
    expect(list).toBeInstanceOf(PermanentError);
    expect(list.message).toContain(`${markOf('a-list')} holds a Redis list`);
    expect(string).toBeInstanceOf(PermanentError);
    expect(string.message).toContain('holds the value "hello"');
    // The other application's data is left as it was.
    expect(await redis.lrange(markOf('a-list'), 0, -1)).toEqual(['x']);
    expect(await redis.get(markOf('a-string'))).toBe('hello');
  });

  it('loads its scripts again when Redis has lost them (restart, failover)', async () => {
    await store.runOnce(claim('before-flush'), async () => undefined);
    await redis.script('FLUSH');
    await expect(store.runOnce(claim('after-flush'), async () => undefined)).resolves.toBe('processed');
    await expect(store.runOnce(claim('before-flush'), async () => undefined)).resolves.toBe('duplicate');
  });
});
