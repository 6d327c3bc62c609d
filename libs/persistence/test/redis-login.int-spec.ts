// Integration: a login Redis refuses (a wrong user or password in REDIS_URL) is a configuration error at start, as a
// refused database login is: the start stops, naming the setting, the password hidden. Once Redis has been up, a
// refusal (the password changed under a running service) is an outage: the service waits, readiness says why, and one
// error line says what to check. Runs against the local Redis with a user of its own (ACL), deleted at the end.
import { Global, Logger, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { EnvConfigError, IdempotencyStores, MessagingConfigError, MessagingModule } from '@app/messaging';
import { RedisIdempotencyModule } from '@app/persistence';
import { RedisReadiness } from '../src/inbox/redis-idempotency.module';
import { createTestVhost, eventually, type TestVhost } from '../../../test/support/test-broker';

const REDIS = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** What MessagingModule gives RedisIdempotencyModule, without a broker connection a failed start would leave open. */
@Global()
@Module({ providers: [IdempotencyStores], exports: [IdempotencyStores] })
class StoresOnly {}

describe('RedisIdempotencyModule and a login Redis refuses', () => {
  let vhost: TestVhost;
  let admin: Redis;
  const user = `login-spec-${randomBytes(4).toString('hex')}`;
  const loginUrl = (password: string) => {
    const url = new URL(REDIS);
    url.username = user;
    url.password = password;
    return url.toString();
  };

  beforeAll(async () => {
    vhost = await createTestVhost('redis-login');
    admin = new Redis(REDIS);
    await admin.call('ACL', 'SETUSER', user, 'on', '>first-password', '~*', '&*', '+@all');
  });

  afterAll(async () => {
    await admin?.call('ACL', 'DELUSER', user).catch(() => undefined);
    await admin?.quit();
    await vhost?.delete();
  });

  /** An application with the Redis store; `withBroker` false for the starts that fail (their modules never close). */
  async function start(redisUrl: string | undefined, withBroker = false): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        withBroker
          ? MessagingModule.forRoot({ url: vhost.url, serviceName: 'redis-login', delay: 'ladder', shutdownTimeoutMs: 500 })
          : StoresOnly,
        RedisIdempotencyModule.forRoot({ url: redisUrl, connectTimeoutMs: 1000 }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    return app;
  }

  it('stops the start with a configuration error naming the url option, its password hidden', async () => {
    const failure = await start(loginUrl('not-the-password')).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MessagingConfigError);
    expect(String((failure as Error).message)).toMatch(
      /^Invalid messaging option "redis url": ".*:\*\*\*@.*" was refused by Redis: WRONGPASS/,
    );
    expect(String((failure as Error).message)).not.toContain('not-the-password');
  });

  it('names REDIS_URL when the URL came from there', async () => {
    const saved = process.env.REDIS_URL;
    process.env.REDIS_URL = loginUrl('not-the-password');
    try {
      const failure = await start(undefined).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(EnvConfigError);
      expect((failure as EnvConfigError).variable).toBe('REDIS_URL');
      expect(String((failure as Error).message)).toContain('was refused by Redis: WRONGPASS');
      expect(String((failure as Error).message)).not.toContain('not-the-password');
    } finally {
      if (saved === undefined) delete process.env.REDIS_URL;
      else process.env.REDIS_URL = saved;
    }
  });

  it('waits as for an outage when the login is refused after Redis was up, and readiness and one error line say why', async () => {
    const errors: unknown[] = [];
    const spy = jest.spyOn(Logger.prototype, 'error').mockImplementation((message: unknown) => void errors.push(message));
    const app = await start(loginUrl('first-password'), true);
    try {
      const readiness = app.get(RedisReadiness);
      expect(readiness.checkReadiness()).toEqual({ up: true });

      // The password changes under the running service, and its connection is dropped: every reconnect is refused.
      await admin.call('ACL', 'SETUSER', user, 'resetpass', '>second-password');
      await admin.call('CLIENT', 'KILL', 'USER', user);

      await eventually(() => /WRONGPASS/.test(JSON.stringify(readiness.checkReadiness())), 'readiness names WRONGPASS', 15_000);
      expect(readiness.checkReadiness()).toMatchObject({ up: false });
      const refused = errors.filter((entry) => (entry as { event?: string }).event === 'redis.login_refused');
      expect(refused).toHaveLength(1);
      expect(refused[0]).toMatchObject({ reason: expect.stringContaining('WRONGPASS'), hint: expect.stringContaining('REDIS_URL') });

      // The password is put back: the connection comes back by itself.
      await admin.call('ACL', 'SETUSER', user, 'resetpass', '>first-password');
      await eventually(() => readiness.checkReadiness().up, 'Redis ready again', 15_000);
    } finally {
      spy.mockRestore();
      await app.close();
    }
  });
});
