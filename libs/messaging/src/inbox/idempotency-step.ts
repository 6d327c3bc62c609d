// The idempotency step of the consume path: wraps a handler so that its effect happens once per key.
import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { bindTransaction, markDuplicate, type MessageContext } from '../consuming/message-context';
import { MessagingConfigError } from '../errors/message-errors';
import { MESSAGING_OPTIONS } from '../messaging.constants';
import type { ResolvedMessagingOptions } from '../options/messaging-options';
import { DATABASE } from '../persistence/database.module';
import { MessagingMetrics } from '../telemetry/messaging-metrics';
import type { DatabaseHandle } from '../persistence/database';
import { DatabaseIdempotencyStore } from './database-idempotency-store';
import type { IdempotentOptions, IdempotencyStoreKind } from './idempotent.decorator';
import type { IdempotencyStore } from './idempotency-store';
import { MemoryIdempotencyStore } from './memory-idempotency-store';
import { RedisIdempotencyStore } from './redis-idempotency-store';

type Handler = (message: object, context: MessageContext) => unknown;

const DEFAULT_TTL_MS = 7 * 24 * 3600 * 1000;

@Injectable()
export class IdempotencyStep implements OnApplicationShutdown {
  private readonly logger = new Logger('Messaging');
  private readonly stores = new Map<IdempotencyStoreKind, IdempotencyStore>();
  private redis?: Redis;
  /** Duplicates skipped, by queue. */
  readonly skipped = new Map<string, number>();

  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly options: ResolvedMessagingOptions,
    private readonly metrics: MessagingMetrics,
    @Optional() @Inject(DATABASE) private readonly database?: DatabaseHandle,
  ) {}

  /** Returns `handler` wrapped so that a message already handled by this consumer is acked without running it. */
  wrap(handler: Handler, queue: string, handlerName: string, options: IdempotentOptions<object>): Handler {
    const store = this.store(options.store ?? 'database', handlerName);
    const ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    return async (message, context) => {
      const key = options.key ? options.key(message) : context.messageId;
      if (!key) throw new MessagingConfigError(`@Idempotent key of ${handlerName}`, 'produced an empty key');
      let result: unknown;
      const outcome = await store.runOnce({ consumer: queue, key, messageId: context.messageId, ttlMs }, async (transaction) => {
        if (transaction) bindTransaction(context, transaction);
        result = await handler(message, context);
      });
      if (outcome === 'duplicate') {
        markDuplicate(context);
        this.skipped.set(queue, (this.skipped.get(queue) ?? 0) + 1);
        this.metrics.duplicates.inc({ queue, type: context.messageType });
        this.logger.log({ event: 'message.duplicate_skipped', queue, messageId: context.messageId, type: context.messageType, key, correlationId: context.correlationId, attempt: context.attempt });
      }
      return result;
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis?.quit().catch(() => undefined);
  }

  private store(kind: IdempotencyStoreKind, handlerName: string): IdempotencyStore {
    let store = this.stores.get(kind);
    if (store) return store;
    if (kind === 'database') {
      if (!this.database) {
        throw new MessagingConfigError(`@Idempotent store of ${handlerName}`, '"database" needs DatabaseModule.forRoot() in the application');
      }
      // Half the pool: the relay and the service's own requests keep connections of their own under load.
      store = new DatabaseIdempotencyStore(this.database.db, { lanes: Math.ceil(this.database.connections / 2) });
    } else if (kind === 'redis') {
      // No auto-pipelining: the store already sends one command per event-loop turn.
      this.redis = new Redis(this.options.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 });
      this.redis.on('error', (error: Error) => this.logger.warn({ event: 'redis.error', reason: error.message }));
      store = new RedisIdempotencyStore(this.redis);
    } else {
      store = new MemoryIdempotencyStore();
    }
    this.stores.set(kind, store);
    return store;
  }
}
