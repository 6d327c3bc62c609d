import { EnvConfigError, MessagingConfigError } from '@app/messaging-core';
import {
  amqpUrlFromEnv,
  amqpUrlsFromEnv,
  DEFAULT_AMQP_URL,
  DEFAULT_BACKOFF,
  resolveMessagingOptions,
  resolveRetry,
  type MessagingModuleOptions,
} from './messaging-options';

/** The options resolved with no environment at all, so that the machine running the tests cannot leak in. */
function resolve(options: MessagingModuleOptions, env: NodeJS.ProcessEnv = {}) {
  return resolveMessagingOptions(options, env);
}

/** The MessagingConfigError that resolving `options` throws (fails the test if none is thrown). */
function configErrorOf(options: MessagingModuleOptions, env: NodeJS.ProcessEnv = {}): MessagingConfigError {
  try {
    resolve(options, env);
  } catch (error) {
    expect(error).toBeInstanceOf(MessagingConfigError);
    return error as MessagingConfigError;
  }
  throw new Error('expected a MessagingConfigError, but the options were accepted');
}

/** The EnvConfigError that resolving with `env` throws (fails the test if none is thrown). */
function envErrorOf(env: NodeJS.ProcessEnv, options: MessagingModuleOptions = { serviceName: 'orders' }): EnvConfigError {
  try {
    resolve(options, env);
  } catch (error) {
    expect(error).toBeInstanceOf(EnvConfigError);
    return error as EnvConfigError;
  }
  throw new Error('expected an EnvConfigError, but the environment was accepted');
}

describe('resolveMessagingOptions', () => {
  describe('defaults', () => {
    it('fills every option a service does not set with its documented default', () => {
      const resolved = resolve({ serviceName: 'orders' });

      expect(resolved).toMatchObject({
        serviceName: 'orders',
        url: 'amqp://guest:guest@127.0.0.1:5672',
        urls: ['amqp://guest:guest@127.0.0.1:5672'],
        exchange: 'domain.events',
        queueType: 'quorum',
        quorum: {},
        prefetch: 20,
        maxMessageBytes: 1024 * 1024,
        limits: { maxBytes: 1024 * 1024, maxDepth: 32, maxStringLength: 65_536, maxArrayLength: 10_000 },
        faultBodyMaxBytes: 64 * 1024,
        unknownFields: 'strip',
        publishTimeoutMs: 10_000,
        heartbeatSeconds: 10,
        reconnect: { initialDelayMs: 250, maxDelayMs: 15_000 },
        shutdownTimeoutMs: 10_000,
        retry: { maxAttempts: 4, backoff: { initialMs: 2000, factor: 2, maxMs: 300_000, jitter: 'full' } },
        delay: 'auto',
        maxRedeliveries: 10,
        errorClassifiers: [],
        publishFaults: true,
        consume: true,
      });
      expect(resolved.tls).toBeUndefined();
    });

    it('keeps a fault body well under the message limit: a quarter of a small maxMessageBytes, and the limits share its size', () => {
      const resolved = resolve({ serviceName: 'orders', maxMessageBytes: 4096, limits: { maxDepth: 8 } });

      expect(resolved.faultBodyMaxBytes).toBe(1024);
      expect(resolved.limits).toEqual({ maxBytes: 4096, maxDepth: 8, maxStringLength: 65_536, maxArrayLength: 10_000 });
    });

    it('exports the default broker URL it falls back to', () => {
      expect(resolve({ serviceName: 'orders' }).url).toBe(DEFAULT_AMQP_URL);
    });
  });

  describe('environment', () => {
    const env = {
      SERVICE_NAME: 'billing',
      AMQP_URL: 'amqp://app:secret@rabbit.internal:5672/prod',
      AMQP_EXCHANGE: 'company.events',
      AMQP_QUEUE_TYPE: 'classic',
      AMQP_PREFETCH: '5',
      AMQP_DELAY: 'ladder',
    };

    it('reads the service name, URL, exchange, queue type, prefetch and delay mode from the environment', () => {
      const resolved = resolve({}, env);

      expect(resolved).toMatchObject({
        serviceName: 'billing',
        url: 'amqp://app:secret@rabbit.internal:5672/prod',
        exchange: 'company.events',
        queueType: 'classic',
        prefetch: 5,
        delay: 'ladder',
      });
    });

    it('lets options given in code win over the environment', () => {
      const resolved = resolve(
        {
          serviceName: 'orders',
          url: 'amqp://localhost',
          exchange: 'orders.events',
          queueType: 'quorum',
          prefetch: 50,
          delay: 'plugin',
        },
        env,
      );

      expect(resolved).toMatchObject({
        serviceName: 'orders',
        url: 'amqp://localhost',
        exchange: 'orders.events',
        queueType: 'quorum',
        prefetch: 50,
        delay: 'plugin',
      });
    });

    it('treats an empty AMQP_PREFETCH as unset', () => {
      expect(resolve({ serviceName: 'orders' }, { AMQP_PREFETCH: '' }).prefetch).toBe(20);
    });

    it.each([
      ['AMQP_PREFETCH', 'abc', 'must be an integer from 1 to 65535'],
      ['AMQP_PREFETCH', '0', 'must be an integer from 1 to 65535'],
      ['AMQP_PREFETCH', '65536', 'must be an integer from 1 to 65535'],
      ['AMQP_PREFETCH', '2.5', 'must be an integer from 1 to 65535'],
      ['AMQP_PREFETCH', '1e3', 'must be an integer from 1 to 65535'],
      ['AMQP_QUEUE_TYPE', 'stream', 'must be one of "quorum", "classic"'],
      ['AMQP_QUEUE_TYPE', 'Quorum', 'must be one of "quorum", "classic"'],
      ['AMQP_DELAY', 'timer', 'must be one of "ladder", "plugin", "auto"'],
      [
        'AMQP_URL',
        'rabbit.internal',
        'must be a URL starting with amqp:// or amqps://, e.g. amqp://guest:guest@127.0.0.1:5672 (it is not a URL)',
      ],
      [
        'AMQP_URL',
        'http://rabbit.internal:5672',
        'must be a URL starting with amqp:// or amqps://, e.g. amqp://guest:guest@127.0.0.1:5672 (its scheme is http:)',
      ],
      ['AMQP_EXCHANGE', 'domain events', 'must be letters, digits, ".", "_" and "-", starting with a letter or digit'],
      ['SERVICE_NAME', 'orders/eu', 'must be letters, digits, ".", "_" and "-", starting with a letter or digit'],
    ])('refuses %s=%p in one line naming the variable, its value and the accepted form', (variable, value, form) => {
      const options = variable === 'SERVICE_NAME' ? {} : { serviceName: 'orders' };

      const error = envErrorOf({ [variable]: value }, options);

      expect(error.variable).toBe(variable);
      expect(error.message).toBe(`${variable}=${JSON.stringify(value)} ${form}`);
      expect(error.message).not.toContain('\n');
    });

    it('refuses an AMQP_URL of another scheme without showing its password', () => {
      const error = envErrorOf({ AMQP_URL: 'postgres://app:s3cret@db:5432/x' });

      expect(error.message).toBe(
        'AMQP_URL="postgres://app:***@db:5432/x" must be a URL starting with amqp:// or amqps://, e.g. amqp://guest:guest@127.0.0.1:5672 (its scheme is postgres:)',
      );
    });

    it('refuses an AMQP_URL that is not a URL without showing its password', () => {
      const error = envErrorOf({ AMQP_URL: 'amqp://app:s3cret@rabbit:notaport' });

      expect(error.variable).toBe('AMQP_URL');
      expect(error.message).toMatch(/it is not a URL/);
      expect(error.message).not.toContain('s3cret');
    });

    it('treats every empty variable as unset', () => {
      const empty = { SERVICE_NAME: '', AMQP_URL: '', AMQP_EXCHANGE: '', AMQP_QUEUE_TYPE: '', AMQP_PREFETCH: '', AMQP_DELAY: '' };

      expect(resolve({ serviceName: 'orders' }, empty)).toMatchObject({
        url: DEFAULT_AMQP_URL,
        exchange: 'domain.events',
        queueType: 'quorum',
        prefetch: 20,
        delay: 'auto',
      });
    });

    it('names the option, not a variable, for a wrong value given in code', () => {
      const error = configErrorOf({ serviceName: 'orders', prefetch: 0 }, { AMQP_PREFETCH: '5' });

      expect(error).not.toBeInstanceOf(EnvConfigError);
      expect(error.message).toBe('Invalid messaging option "prefetch": must be an integer from 1 to 65535, got 0');
    });

    it('ignores an invalid environment value that an option overrides', () => {
      expect(resolve({ serviceName: 'orders', prefetch: 3 }, { AMQP_PREFETCH: 'lots' }).prefetch).toBe(3);
    });
  });

  describe('URL', () => {
    it('takes the nodes of a cluster from AMQP_URL, separated by commas, each checked', () => {
      const resolved = resolve({ serviceName: 'orders' }, { AMQP_URL: 'amqp://u:p@rabbit-1:5672,amqp://u:p@rabbit-2:5672' });

      expect(resolved.urls).toEqual(['amqp://u:p@rabbit-1:5672', 'amqp://u:p@rabbit-2:5672']);
      expect(resolved.url).toBe('amqp://u:p@rabbit-1:5672');
      const error = envErrorOf({ AMQP_URL: 'amqp://u:s3cret@rabbit-1,http://u:s3cret@rabbit-2/' });
      expect(error.message).toMatch(/\(the 2nd of 2: its scheme is http:\)$/);
      expect(error.message).not.toContain('s3cret');
    });

    it('takes the url option as an array, or as a string with commas', () => {
      expect(resolve({ serviceName: 'orders', url: ['amqp://a', 'amqps://b'] }).urls).toEqual(['amqp://a', 'amqps://b']);
      expect(resolve({ serviceName: 'orders', url: 'amqp://a, amqp://b' }).urls).toEqual(['amqp://a', 'amqp://b']);
    });

    it('refuses an empty list or a wrong entry of the url option, naming the option and hiding passwords', () => {
      expect(configErrorOf({ serviceName: 'orders', url: [] }).message).toMatch(/^Invalid messaging option "url": "" must be/);
      const error = configErrorOf({ serviceName: 'orders', url: ['amqp://u:s3cret@a', 'postgres://u:s3cret@b'] });
      expect(error.key).toBe('url');
      expect(error.message).toMatch(/\(the 2nd of 2: its scheme is postgres:\)$/);
      expect(error.message).not.toContain('s3cret');
      expect(configErrorOf({ serviceName: 'orders', url: [42] as unknown as string[] }).key).toBe('url');
    });

    it('accepts an amqps:// URL', () => {
      expect(resolve({ serviceName: 'orders', url: 'amqps://app:secret@rabbit.example.com:5671/prod' }).url).toBe(
        'amqps://app:secret@rabbit.example.com:5671/prod',
      );
    });

    it.each([
      ['an http URL', 'http://rabbit.example.com'],
      ['a postgres URL', 'postgres://user:pw@db:5432/x'],
    ])('rejects %s, naming the url option', (_label, url) => {
      const error = configErrorOf({ serviceName: 'orders', url });

      expect(error.key).toBe('url');
      expect(error.message).toMatch(/amqp:\/\/ or amqps:\/\//);
    });

    it('rejects text that is not a URL without showing its password', () => {
      const error = configErrorOf({ serviceName: 'orders', url: 'amqp://app:s3cret@rabbit:notaport' });

      expect(error.key).toBe('url');
      expect(error.message).toMatch(/is not a URL/);
      expect(error.message).not.toContain('s3cret');
    });
  });

  describe('validation', () => {
    it('requires a service name when neither the option nor SERVICE_NAME is set', () => {
      const error = configErrorOf({});

      expect(error.key).toBe('serviceName');
      expect(error.message).toContain('"serviceName"');
      expect(error.message).toMatch(/required/);
    });

    it.each(['orders service', 'orders/eu', '-orders', 'orders#1', 'ördérs'])(
      'rejects the service name %p, which cannot prefix a queue name',
      (serviceName) => {
        expect(configErrorOf({ serviceName }).key).toBe('serviceName');
      },
    );

    it.each(['orders', 'orders-eu', 'Orders_2', 'orders.eu-west.1'])('accepts the service name %p', (serviceName) => {
      expect(resolve({ serviceName }).serviceName).toBe(serviceName);
    });

    it.each<[string, MessagingModuleOptions]>([
      ['exchange', { exchange: 'domain events' }],
      ['queueType', { queueType: 'stream' as never }],
      ['unknownFields', { unknownFields: 'keep' as never }],
      ['delay', { delay: 'timer' as never }],
      ['prefetch', { prefetch: 0 }],
      ['prefetch', { prefetch: 65_536 }],
      ['prefetch', { prefetch: 2.5 }],
      ['maxMessageBytes', { maxMessageBytes: 0 }],
      ['limits.maxDepth', { limits: { maxDepth: 1 } }],
      ['limits.maxStringLength', { limits: { maxStringLength: 0 } }],
      ['limits.maxArrayLength', { limits: { maxArrayLength: 2.5 } }],
      ['faultBodyMaxBytes', { faultBodyMaxBytes: -1 }],
      ['faultBodyMaxBytes', { maxMessageBytes: 4096, faultBodyMaxBytes: 4096 }],
      ['publishTimeoutMs', { publishTimeoutMs: 0 }],
      ['heartbeatSeconds', { heartbeatSeconds: -1 }],
      ['reconnect.initialDelayMs', { reconnect: { initialDelayMs: 0 } }],
      ['reconnect.maxDelayMs', { reconnect: { initialDelayMs: 1000, maxDelayMs: 500 } }],
      ['shutdownTimeoutMs', { shutdownTimeoutMs: -1 }],
      ['maxRedeliveries', { maxRedeliveries: 0 }],
      ['retry.maxAttempts', { retry: { maxAttempts: 0 } }],
      ['retry.maxAttempts', { retry: { maxAttempts: 1001 } }],
      ['retry.backoff.initialMs', { retry: { backoff: { initialMs: -1 } } }],
      ['retry.backoff.maxMs', { retry: { backoff: { initialMs: 5000, maxMs: 1000 } } }],
      ['retry.backoff.factor', { retry: { backoff: { factor: 0.5 } } }],
      ['retry.backoff.factor', { retry: { backoff: { factor: Number.NaN } } }],
      ['retry.backoff.jitter', { retry: { backoff: { jitter: 'random' as never } } }],
    ])('rejects an invalid %s with a MessagingConfigError naming that key', (key, options) => {
      const error = configErrorOf({ serviceName: 'orders', ...options });

      expect(error.key).toBe(key);
      expect(error.message).toContain(`"${key}"`);
    });

    it('accepts the edge values of the numeric ranges', () => {
      const resolved = resolve({
        serviceName: 'orders',
        prefetch: 65_535,
        heartbeatSeconds: 0,
        shutdownTimeoutMs: 0,
        reconnect: { initialDelayMs: 500, maxDelayMs: 500 },
        retry: { maxAttempts: 1, backoff: { initialMs: 0, factor: 1, maxMs: 0, jitter: 'none' } },
      });

      expect(resolved.prefetch).toBe(65_535);
      expect(resolved.retry).toEqual({ maxAttempts: 1, backoff: { initialMs: 0, factor: 1, maxMs: 0, jitter: 'none' } });
    });
  });
});

describe('quorum options', () => {
  it('passes the group size and leader locator on, and checks them', () => {
    expect(resolve({ serviceName: 'orders', quorum: { initialGroupSize: 3, leaderLocator: 'balanced' } }).quorum).toEqual({
      initialGroupSize: 3,
      leaderLocator: 'balanced',
    });
    expect(configErrorOf({ serviceName: 'orders', quorum: { initialGroupSize: 0 } }).key).toBe('quorum.initialGroupSize');
    expect(configErrorOf({ serviceName: 'orders', quorum: { leaderLocator: 'random' as 'balanced' } }).key).toBe('quorum.leaderLocator');
  });
});

describe('amqpUrlFromEnv', () => {
  it('reads AMQP_URL, with an empty value as unset', () => {
    expect(amqpUrlFromEnv({ AMQP_URL: 'amqps://rabbit.example.com' })).toBe('amqps://rabbit.example.com');
    expect(amqpUrlFromEnv({ AMQP_URL: '' })).toBeUndefined();
    expect(amqpUrlFromEnv({})).toBeUndefined();
  });

  it('gives a list back as it was written (spaces dropped), and amqpUrlsFromEnv as a list', () => {
    expect(amqpUrlFromEnv({ AMQP_URL: 'amqp://a, amqp://b' })).toBe('amqp://a,amqp://b');
    expect(amqpUrlsFromEnv({ AMQP_URL: 'amqp://a, amqp://b' })).toEqual(['amqp://a', 'amqp://b']);
  });

  it('refuses an AMQP_URL of another scheme, naming the variable', () => {
    expect(() => amqpUrlFromEnv({ AMQP_URL: 'redis://cache' })).toThrow(
      /^AMQP_URL="redis:\/\/cache" must be a URL starting with amqp:\/\/ or amqps:\/\//,
    );
  });
});

describe('resolveRetry', () => {
  const base = { maxAttempts: 4, backoff: { initialMs: 1000, factor: 3, maxMs: 60_000, jitter: 'equal' as const } };

  it('keeps the base policy when nothing is overridden', () => {
    expect(resolveRetry(undefined, base, 'retry')).toEqual(base);
    expect(resolveRetry({}, base, 'retry')).toEqual(base);
  });

  it('merges a partial backoff over the base, key by key', () => {
    const merged = resolveRetry({ backoff: { initialMs: 500 } }, base, 'retry');

    expect(merged).toEqual({ maxAttempts: 4, backoff: { initialMs: 500, factor: 3, maxMs: 60_000, jitter: 'equal' } });
  });

  it('treats a key set to undefined as not given', () => {
    const merged = resolveRetry({ maxAttempts: undefined, backoff: { jitter: undefined, factor: 2 } }, base, 'retry');

    expect(merged).toEqual({ maxAttempts: 4, backoff: { initialMs: 1000, factor: 2, maxMs: 60_000, jitter: 'equal' } });
  });

  it('does not change the base it merges over', () => {
    const before = structuredClone(DEFAULT_BACKOFF);

    resolveRetry({ backoff: { initialMs: 1 } }, { maxAttempts: 4, backoff: DEFAULT_BACKOFF }, 'retry');

    expect(DEFAULT_BACKOFF).toEqual(before);
  });

  it('names the option with the key it is given, so a handler-level policy can be traced', () => {
    try {
      resolveRetry({ backoff: { factor: 0 } }, base, '@Retryable of OrderHandler.onOrder');
      throw new Error('expected a MessagingConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(MessagingConfigError);
      expect((error as MessagingConfigError).key).toBe('@Retryable of OrderHandler.onOrder.backoff.factor');
    }
  });
});
