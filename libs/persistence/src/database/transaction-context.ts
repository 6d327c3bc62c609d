// Gives `context.transaction` of a message handler its type here: the drizzle transaction of the service's database,
// which the database idempotency store opens for @Idempotent() handlers.
import type { Transaction } from './database';

declare module '@app/messaging' {
  interface MessageContextResources {
    transaction: Transaction;
  }
}
