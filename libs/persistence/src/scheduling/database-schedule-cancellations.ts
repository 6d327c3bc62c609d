// Cancelled schedules in the service's database: durable across restarts, seen by every instance, and written in the
// caller's transaction when given one (a saga that completes cancels its timeouts in the same commit).
import { eq } from 'drizzle-orm';
import type { ScheduleCancellationStore } from '@app/messaging';
import type { Database, Transaction } from '../database/database';
import { scheduleCancellations } from '../database/messaging-tables';
import { DATABASE_DEPENDENCY } from '../database/postgres-errors';

export class DatabaseScheduleCancellations implements ScheduleCancellationStore {
  readonly dependency = DATABASE_DEPENDENCY;

  constructor(private readonly db: Database) {}

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
}
