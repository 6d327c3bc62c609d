// The notification service's own table: one row per notification sent.
import { integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const notifications = pgTable('notifications', {
  id: uuid('id').primaryKey(),
  orderId: uuid('order_id').notNull(),
  /** The order.created message this notification answers. */
  messageId: text('message_id').notNull(),
  channel: text('channel').notNull(),
  recipient: text('recipient').notNull(),
  attempts: integer('attempts').notNull(),
  status: text('status').notNull().$type<'SENT'>(),
  providerMessageId: text('provider_message_id').notNull(),
  sentAt: timestamp('sent_at', { withTimezone: true }).notNull(),
});
