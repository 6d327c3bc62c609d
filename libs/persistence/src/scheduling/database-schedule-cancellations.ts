// Cancelled schedules in the service's database: durable across restarts, seen by every instance, and written in the
// caller's transaction when given one (a saga that completes cancels its timeouts in the same commit). A row outlives
// the message it cancels by a day (the message's redeliveries must still find it), then it is deleted: the table holds
// the cancellations still waiting for their message, not every cancellation ever made.
import { and, eq, isNotNull, lt, sql } from 'drizzle-orm';
import { CANCELLATION_PRUNE_EVERY_MS, DROPPED_CANCELLATION_RETENTION_MS, type ScheduleCancellationStore } from '@app/messaging';
import type { Database, Transaction } from '../database/database';
import { scheduleCancellations } from '../database/messaging-tables';
import { DATABASE_DEPENDENCY } from '../database/postgres-errors';

export class DatabaseScheduleCancellations implements ScheduleCancellationStore {
  readonly dependency = DATABASE_DEPENDENCY;
  private lastPrune = 0;

  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {}

  async cancel(token: string, transaction?: unknown): Promise<void> {
    const db = (transaction as Transaction | undefined) ?? this.db;
    await db.insert(scheduleCancellations).values({ token }).onConflictDoNothing();
  }

  async isCancelled(token: string): Promise<boolean> {
    const rows = await this.db
      .select({ token: scheduleCancellations.token })
      .from(scheduleCancellations)
      .where(eq(scheduleCancellations.token, token));
    return rows.length > 0;
  }

  async dropped(token: string): Promise<void> {
    await this.db
      .update(scheduleCancellations)
      .set({ droppedAt: sql`coalesce(${scheduleCancellations.droppedAt}, now())` })
      .where(eq(scheduleCancellations.token, token));
    if (this.now() - this.lastPrune >= CANCELLATION_PRUNE_EVERY_MS) {
      this.lastPrune = this.now();
      await this.prune();
    }
  }

  /** Deletes the cancellations whose message was dropped more than a day ago. Returns how many. */
  async prune(): Promise<number> {
    const cutoff = new Date(this.now() - DROPPED_CANCELLATION_RETENTION_MS);
    const deleted = await this.db
      .delete(scheduleCancellations)
      .where(and(isNotNull(scheduleCancellations.droppedAt), lt(scheduleCancellations.droppedAt, cutoff)))
      .returning({ token: scheduleCancellations.token });
    return deleted.length;
  }
}
