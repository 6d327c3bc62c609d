// Protects how the Redis store tells an outage from Redis's own answer: a call that does not reach Redis (no
// connection, no answer in time) fails as DependencyUnavailableError ("redis"), an error Redis answered stays as it is.
import { ReplyError, type Redis } from 'ioredis';
import { DependencyUnavailableError, type IdempotencyClaim } from '@app/messaging';
import { RedisIdempotencyStore } from './redis-idempotency-store';

const claim: IdempotencyClaim = { consumer: 'ledger', key: 'k-1', messageId: 'm-1', ttlMs: 60_000 };

/** A Redis client whose script call fails with `error`. */
function redisFailingWith(error: Error): Redis {
  const client: Record<string, unknown> = {
    defineCommand(name: string) {
      client[name] = () => Promise.reject(error);
    },
    del: () => Promise.reject(error),
  };
  return client as unknown as Redis;
}

describe('RedisIdempotencyStore when its call fails', () => {
  it('says it keeps its marks in the dependency "redis"', () => {
    expect(new RedisIdempotencyStore(redisFailingWith(new Error('x'))).dependency).toBe('redis');
  });

  it.each([
    ['no connection', Object.assign(new Error('Connection is closed.'), {})],
    [
      'no reconnect in time',
      Object.assign(new Error('Reached the max retries per request limit (which is 2).'), { name: 'MaxRetriesPerRequestError' }),
    ],
    ['no answer in time', new Error('Command timed out')],
    ['a socket error', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED', syscall: 'connect' })],
  ])('fails the delivery as DependencyUnavailableError for %s, without running the handler', async (_what, failure) => {
    const work = jest.fn();
    const error = await new RedisIdempotencyStore(redisFailingWith(failure)).runOnce(claim, work).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect(error).toMatchObject({ dependency: 'redis', cause: failure });
    expect(work).not.toHaveBeenCalled();
  });

  it("leaves an error that Redis answered as it is (it is Redis's answer, not an outage)", async () => {
    const answered = new (ReplyError as new (message: string) => Error)('NOSCRIPT No matching script');

    await expect(new RedisIdempotencyStore(redisFailingWith(answered)).runOnce(claim, jest.fn())).rejects.toBe(answered);
  });

  it('writes the done mark of a handler that has done its work once Redis is back, instead of failing its delivery', async () => {
    const calls: string[] = [];
    const answers: Array<() => Promise<unknown[]>> = [
      () => Promise.resolve([1]), // the claim
      () => Promise.reject(new Error('Connection is closed.')), // the done mark, while Redis is away
      () => Promise.resolve([]), // the done mark again, Redis back
    ];
    const client: Record<string, unknown> = {
      defineCommand(name: string) {
        client[name] = () => {
          calls.push(name);
          return answers.shift()!();
        };
      },
    };
    const work = jest.fn(() => Promise.resolve());

    await expect(new RedisIdempotencyStore(client as unknown as Redis).runOnce(claim, work)).resolves.toBe('processed');

    expect(work).toHaveBeenCalledTimes(1);
    expect(calls).toHaveLength(3);
  });
});
