// Saga instances in the service's database. An instance's row is locked (SELECT ... FOR UPDATE) for the whole of the
// message's transaction, the inbox's: concurrent messages for one instance take turns, and none loses an update.
// Saving writes its state, data and schedules, a history row, and the cancellations of its dropped schedules.
import { Inject, Injectable, Optional } from '@nestjs/common';
import { and, asc, count, eq, isNotNull, isNull, sql, type SQL } from 'drizzle-orm';
import type { SagaDetails, SagaDirectory, SagaInFlight, SagaQuery, SagaSummary } from '@app/messaging';
import { MessageScheduler } from '@app/messaging';
import type { DatabaseHandle, Transaction } from '../database/database';
import { DATABASE } from '../persistence.constants';
import { sagaHistory, sagas } from './saga-tables';
import { NEW_SAGA_STATE, type SagaInstance, type SagaRecord } from './saga-instance';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;

@Injectable()
export class SagaStore implements SagaDirectory {
  constructor(
    @Inject(DATABASE) private readonly database: DatabaseHandle,
    @Optional() private readonly scheduler?: MessageScheduler,
  ) {}

  /** The instance's row, locked until `tx` ends; undefined when there is none. */
  async lock(tx: Transaction, type: string, key: string): Promise<SagaRecord | undefined> {
    const [row] = await tx
      .select()
      .from(sagas)
      .where(and(eq(sagas.sagaType, type), eq(sagas.sagaKey, key)))
      .for('update');
    return row;
  }

  /**
   * The instance's row, created (and locked) when there is none. Two starts of one key at once: the second waits on
   * the first's insert, then finds and locks its row.
   */
  async lockOrCreate(tx: Transaction, type: string, key: string): Promise<{ record: SagaRecord; created: boolean }> {
    const [inserted] = await tx
      .insert(sagas)
      .values({ sagaType: type, sagaKey: key, state: NEW_SAGA_STATE, data: {}, version: 0, schedules: [] })
      .onConflictDoNothing()
      .returning();
    if (inserted) return { record: inserted, created: true };
    const record = await this.lock(tx, type, key);
    if (!record) throw new Error(`The ${type} saga "${key}" vanished while it was being started`);
    return { record, created: false };
  }

  /** Writes what the handler did to the instance, its history entry, and the cancellations of its dropped schedules. */
  async save(instance: SagaInstance<object>): Promise<void> {
    const tx = instance.transaction;
    const now = new Date();
    for (const token of instance.cancelled) {
      if (!this.scheduler) throw new Error('Cancelling a saga schedule needs SchedulingModule.forRoot() in the application');
      await this.scheduler.cancel(token, { transaction: tx });
    }
    await tx
      .update(sagas)
      .set({
        state: instance.state,
        data: instance.data as Record<string, unknown>,
        version: sql`${sagas.version} + 1`,
        waitingFor: instance.waitingFor ?? null,
        schedules: instance.pendingSchedules,
        updatedAt: now,
        completedAt: instance.completionTime,
      })
      .where(and(eq(sagas.sagaType, instance.type), eq(sagas.sagaKey, instance.key)));
    await tx.insert(sagaHistory).values({
      sagaType: instance.type,
      sagaKey: instance.key,
      at: now,
      messageType: instance.cause.messageType ?? null,
      messageId: instance.cause.messageId ?? null,
      fromState: instance.previousState ?? null,
      toState: instance.state,
      note: instance.note ?? null,
    });
  }

  async list(query: SagaQuery = {}): Promise<{ total: number; sagas: SagaSummary[] }> {
    const limit = Math.min(MAX_LIMIT, Math.max(1, Math.floor(query.limit ?? DEFAULT_LIMIT)));
    const conditions: SQL[] = [];
    if (query.type) conditions.push(eq(sagas.sagaType, query.type));
    if (query.state) conditions.push(eq(sagas.state, query.state));
    if (!query.all || query.completed !== undefined) {
      conditions.push(query.completed ? isNotNull(sagas.completedAt) : isNull(sagas.completedAt));
    }
    const where = conditions.length > 0 ? and(...conditions) : undefined;
    const { db } = this.database;
    const [{ total }] = await db.select({ total: count() }).from(sagas).where(where);
    const rows = await db.select().from(sagas).where(where).orderBy(asc(sagas.startedAt), asc(sagas.sagaKey)).limit(limit);
    return { total: Number(total), sagas: rows.map(summaryOf) };
  }

  async get(type: string, key: string): Promise<SagaDetails | undefined> {
    const { db } = this.database;
    const [row] = await db
      .select()
      .from(sagas)
      .where(and(eq(sagas.sagaType, type), eq(sagas.sagaKey, key)));
    if (!row) return undefined;
    const history = await db
      .select()
      .from(sagaHistory)
      .where(and(eq(sagaHistory.sagaType, type), eq(sagaHistory.sagaKey, key)))
      .orderBy(asc(sagaHistory.seq));
    return {
      ...summaryOf(row),
      data: row.data,
      pendingSchedules: row.schedules.length,
      history: history.map((entry) => ({
        at: entry.at.toISOString(),
        ...(entry.fromState !== null ? { from: entry.fromState } : {}),
        to: entry.toState,
        ...(entry.messageType !== null ? { messageType: entry.messageType } : {}),
        ...(entry.messageId !== null ? { messageId: entry.messageId } : {}),
        ...(entry.note !== null ? { note: entry.note } : {}),
      })),
    };
  }

  /** The admin console's sagasInFlight: the oldest `limit` in flight, and how many there are. */
  async inFlight(limit: number): Promise<{ total: number; sagas: SagaInFlight[] }> {
    const listed = await this.list({ limit });
    return {
      total: listed.total,
      sagas: listed.sagas.map((saga) => ({
        id: saga.key,
        type: saga.type,
        state: saga.state,
        startedAt: saga.startedAt,
        updatedAt: saga.updatedAt,
        ...(saga.waitingFor ? { waitingFor: saga.waitingFor } : {}),
      })),
    };
  }
}

function summaryOf(row: SagaRecord): SagaSummary {
  return {
    type: row.sagaType,
    key: row.sagaKey,
    state: row.state,
    version: row.version,
    ...(row.waitingFor !== null ? { waitingFor: row.waitingFor } : {}),
    startedAt: row.startedAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    ...(row.completedAt !== null ? { completedAt: row.completedAt.toISOString() } : {}),
  };
}
