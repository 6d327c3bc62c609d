// The tables of sagas in the service's database: one row per instance (its state, its data, what it waits for and
// the schedules it may still cancel), and its history, a row per message that moved it.
import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

export const sagas = pgTable(
  'sagas',
  {
    /** The saga's name (@Saga({ name })). */
    sagaType: text('saga_type').notNull(),
    /** The correlation key the messages carry (an order's id). */
    sagaKey: text('saga_key').notNull(),
    state: text('state').notNull(),
    data: jsonb('data').notNull().$type<Record<string, unknown>>(),
    /** Moves so far: 1 when started, one more for each message that reached it. */
    version: integer('version').notNull().default(1),
    waitingFor: text('waiting_for'),
    /** Tokens of the schedules (timeouts) it made and has not seen come back: cancelled when it completes. */
    schedules: jsonb('schedules')
      .notNull()
      .$type<string[]>()
      .default(sql`'[]'::jsonb`),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (table) => [
    primaryKey({ columns: [table.sagaType, table.sagaKey] }),
    index('sagas_in_flight_idx')
      .on(table.startedAt)
      .where(sql`${table.completedAt} is null`),
  ],
);

export const sagaHistory = pgTable(
  'saga_history',
  {
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    sagaType: text('saga_type').notNull(),
    sagaKey: text('saga_key').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    /** The message that moved it (none for a start from service code). */
    messageType: text('message_type'),
    messageId: text('message_id'),
    fromState: text('from_state'),
    toState: text('to_state').notNull(),
    note: text('note'),
  },
  (table) => [index('saga_history_instance_idx').on(table.sagaType, table.sagaKey, table.seq)],
);
