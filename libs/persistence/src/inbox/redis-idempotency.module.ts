// RedisIdempotencyModule: the "redis" idempotency store, for handlers whose effects live outside the database
// (`@Idempotent({ store: 'redis' })`). The connection is closed at shutdown.
import { Inject, Logger, Module, type DynamicModule, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import { IdempotencyStores, MessagingConfigError } from '@app/messaging';
import { RedisIdempotencyStore } from './redis-idempotency-store';

export interface RedisIdempotencyOptions {
  /** redis:// or rediss:// URL. Default REDIS_URL, else redis://127.0.0.1:6379. */
  url?: string;
  /** Prefix of the keys the store writes. Default "idempotency". */
  prefix?: string;
}

const REDIS = Symbol('IDEMPOTENCY_REDIS');

@Module({})
export class RedisIdempotencyModule {
  static forRoot(options: RedisIdempotencyOptions = {}): DynamicModule {
    const url = options.url ?? (process.env.REDIS_URL || 'redis://127.0.0.1:6379');
    checkRedisUrl(url);
    return {
      module: RedisIdempotencyModule,
      providers: [
        {
          provide: REDIS,
          useFactory: () => {
            // No auto-pipelining: the store already sends one command per event-loop turn.
            const redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2 });
            const logger = new Logger('Messaging');
            redis.on('error', (error: Error) => logger.warn({ event: 'redis.error', reason: error.message }));
            return redis;
          },
        },
        { provide: RedisStoreLifecycle, useFactory: (redis: Redis, stores: IdempotencyStores) => new RedisStoreLifecycle(redis, stores, options.prefix), inject: [REDIS, IdempotencyStores] },
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

function checkRedisUrl(url: string): void {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new MessagingConfigError('redis url', `"${url.replace(/\/\/[^@]*@/, '//***@')}" is not a URL (expected redis://host:port)`);
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:') {
    throw new MessagingConfigError('redis url', `must start with redis:// or rediss://, got "${protocol}//"`);
  }
}
