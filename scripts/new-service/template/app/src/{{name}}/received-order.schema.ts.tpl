// The {{name}} service's own table: one row per order it has heard of. After a change here, write the migration:
// `npx drizzle-kit generate --config apps/{{name}}/drizzle.config.ts`.
import { numeric, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const receivedOrders = pgTable('received_orders', {
  orderId: uuid('order_id').primaryKey(),
  /** The order.created message that brought it. */
  messageId: text('message_id').notNull(),
  total: numeric('total', { precision: 14, scale: 2 }).notNull(),
  currency: text('currency').notNull(),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
});
