// The idempotency stores an application has, by kind. 'memory' is always there; the persistence library adds
// 'database' (DatabaseModule) and 'redis' (RedisIdempotencyModule).
import { Injectable } from '@nestjs/common';
import { MessagingConfigError } from '@app/messaging-core';
import type { IdempotencyStore } from './idempotency-store';
import type { IdempotencyStoreKind } from './idempotent.decorator';
import { MemoryIdempotencyStore } from './memory-idempotency-store';

/** The module that provides each kind, for the error that says what to import. */
const PROVIDED_BY: Record<IdempotencyStoreKind, string> = {
  database: 'DatabaseModule.forRoot() from @app/persistence',
  redis: 'RedisIdempotencyModule.forRoot() from @app/persistence',
  memory: 'nothing (it is built in)',
};

@Injectable()
export class IdempotencyStores {
  private readonly stores = new Map<IdempotencyStoreKind, IdempotencyStore>([['memory', new MemoryIdempotencyStore()]]);

  register(kind: IdempotencyStoreKind, store: IdempotencyStore): void {
    this.stores.set(kind, store);
  }

  /** The store of `kind`; throws MessagingConfigError naming the module to import when the application has none. */
  get(kind: IdempotencyStoreKind, handlerName: string): IdempotencyStore {
    const store = this.stores.get(kind);
    if (!store) {
      throw new MessagingConfigError(`@Idempotent store of ${handlerName}`, `"${kind}" needs ${PROVIDED_BY[kind]} in the application`);
    }
    return store;
  }
}
