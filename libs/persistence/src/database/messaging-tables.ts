// The tables the messaging library owns in each service's database: the outbox, the inbox, cancelled schedules.
import { sql } from 'drizzle-orm';
import type { OutgoingMessage } from '@app/messaging';
import { bigserial, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/** Messages written in a business transaction, waiting for the relay to publish them. */
export const outbox = pgTable(
  'outbox',
  {
    /** Publication order: the relay publishes by seq, and keeps seq order within an aggregate key. */
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    messageId: text('message_id').notNull(),
    messageType: text('message_type').notNull(),
    exchange: text('exchange').notNull(),
    routingKey: text('routing_key').notNull(),
    content: text('content').notNull(),
    properties: jsonb('properties').notNull().$type<OutgoingMessage['properties']>(),
    aggregateKey: text('aggregate_key'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    /** A row the broker refused waits until then (backoff), while the other rows go on. */
    availableAt: timestamp('available_at', { withTimezone: true }),
  },
  (table) => [
    index('outbox_pending_idx')
      .on(table.seq)
      .where(sql`${table.sentAt} is null`),
    index('outbox_pending_key_idx')
      .on(table.aggregateKey, table.seq)
      .where(sql`${table.sentAt} is null`),
    index('outbox_sent_at_idx').on(table.sentAt),
  ],
);

/** Messages already handled, by consumer (queue) and idempotency key: a second delivery finds its row and is skipped. */
export const inbox = pgTable(
  'inbox',
  {
    consumer: text('consumer').notNull(),
    messageKey: text('message_key').notNull(),
    messageId: text('message_id').notNull(),
    processedAt: timestamp('processed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.consumer, table.messageKey] }), index('inbox_processed_at_idx').on(table.processedAt)],
);

/**
 * Cancelled schedules, by token: a scheduled message whose token is here is dropped when it comes due. The row is kept
 * a day after that (a redelivery of the message must still find it), then deleted (DatabaseScheduleCancellations).
 */
export const scheduleCancellations = pgTable(
  'schedule_cancellations',
  {
    token: text('token').primaryKey(),
    cancelledAt: timestamp('cancelled_at', { withTimezone: true }).notNull().defaultNow(),
    /** When the message it cancels came due and was dropped; null until then. */
    droppedAt: timestamp('dropped_at', { withTimezone: true }),
  },
  (table) => [index('schedule_cancellations_dropped_at_idx').on(table.droppedAt)],
);

export const messagingTables = { outbox, inbox, scheduleCancellations };
