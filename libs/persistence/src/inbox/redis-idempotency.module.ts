// RedisIdempotencyModule: the "redis" idempotency store, for handlers whose effects live outside the database
// (`@Idempotent({ store: 'redis' })`). The URL is checked at start (REDIS_URL named when it came from there); the
// connection is closed at shutdown.
import { Inject, Logger, Module, type DynamicModule, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import { envUrl, IdempotencyStores, MessagingConfigError, redactUrl, urlProblem, type Env, type UrlForm } from '@app/messaging';
import { RedisIdempotencyStore } from './redis-idempotency-store';

export interface RedisIdempotencyOptions {
  /** redis:// or rediss:// URL. Default REDIS_URL, else redis://127.0.0.1:6379. */
  url?: string;
  /** Prefix of the keys the store writes. Default "idempotency". */
  prefix?: string;
}

const REDIS = Symbol('IDEMPOTENCY_REDIS');

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** What REDIS_URL and the url option accept. */
export const REDIS_URL_FORM: UrlForm = { schemes: ['redis:', 'rediss:'], example: DEFAULT_REDIS_URL };

/** The option, else REDIS_URL, else the local default; a wrong one throws a ConfigError naming the option or the variable. */
export function resolveRedisUrl(options: RedisIdempotencyOptions, env: Env = process.env): string {
  if (options.url === undefined) return envUrl(env, 'REDIS_URL', REDIS_URL_FORM) ?? DEFAULT_REDIS_URL;
  const problem = urlProblem(options.url, REDIS_URL_FORM);
  if (problem) throw new MessagingConfigError('redis url', `"${redactUrl(options.url)}" ${problem}`);
  return options.url;
}

@Module({})
export class RedisIdempotencyModule {
  static forRoot(options: RedisIdempotencyOptions = {}): DynamicModule {
    return {
      module: RedisIdempotencyModule,
      providers: [
        {
          provide: REDIS,
          useFactory: () => {
            // No auto-pipelining: the store already sends one command per event-loop turn.
            const redis = new Redis(resolveRedisUrl(options), { lazyConnect: false, maxRetriesPerRequest: 2 });
            const logger = new Logger('Messaging');
            redis.on('error', (error: Error) => logger.warn({ event: 'redis.error', reason: error.message }));
            return redis;
          },
        },
        {
          provide: RedisStoreLifecycle,
          useFactory: (redis: Redis, stores: IdempotencyStores) => new RedisStoreLifecycle(redis, stores, options.prefix),
          inject: [REDIS, IdempotencyStores],
        },
      ],
    };
  }
}

class RedisStoreLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly stores: IdempotencyStores,
    private readonly prefix?: string,
  ) {}

  onModuleInit(): void {
    this.stores.register('redis', new RedisIdempotencyStore(this.redis, undefined, this.prefix));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }
}
