// @Idempotent: the handler's effect happens once per message (or per key), however often the message is delivered.
import { IDEMPOTENT_METADATA } from '../messaging.constants';

export type IdempotencyStoreKind = 'database' | 'redis' | 'memory';

export interface IdempotentOptions<T = never> {
  /** The idempotency key of a message. Default: its message id. */
  key?: (message: T) => string;
  /**
   * Where "seen" marks are kept. 'database' (default) writes the mark in the same transaction as the handler's own
   * writes (the handler gets it as `context.transaction`); 'redis' claims the key before the handler runs, for effects
   * outside the database; 'memory' is per process, for tests and single-instance tools.
   */
  store?: IdempotencyStoreKind;
  /** How long marks are kept (redis, memory). Default 7 days. */
  ttlMs?: number;
}

export function Idempotent<T = never>(options: IdempotentOptions<T> = {}): MethodDecorator {
  return (_target, _key, descriptor) => {
    Reflect.defineMetadata(IDEMPOTENT_METADATA, options, descriptor.value as object);
    return descriptor;
  };
}
