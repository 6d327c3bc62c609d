// Inbox in the service's database: the "seen" row and the handler's writes commit (or roll back) together.
import { and, lt } from 'drizzle-orm';
import type { Database, Transaction } from '../persistence/database';
import { inbox } from '../persistence/messaging-tables';
import type { IdempotencyClaim, IdempotencyResult, IdempotencyStore } from './idempotency-store';

export class DatabaseIdempotencyStore implements IdempotencyStore {
  constructor(private readonly db: Database) {}

  async runOnce(claim: IdempotencyClaim, work: (transaction?: Transaction) => Promise<void>): Promise<IdempotencyResult> {
    return this.db.transaction(async (tx) => {
      // A concurrent delivery of the same key waits here on the primary key until this transaction ends.
      const claimed = await tx
        .insert(inbox)
        .values({ consumer: claim.consumer, messageKey: claim.key, messageId: claim.messageId })
        .onConflictDoNothing()
        .returning({ key: inbox.messageKey });
      if (claimed.length === 0) return 'duplicate';
      await work(tx);
      return 'processed';
    });
  }

  /** Deletes marks older than `olderThan`. Returns how many. */
  async deleteOlderThan(olderThan: Date): Promise<number> {
    const deleted = await this.db.delete(inbox).where(and(lt(inbox.processedAt, olderThan))).returning({ key: inbox.messageKey });
    return deleted.length;
  }
}
