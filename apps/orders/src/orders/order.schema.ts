// The order service's own tables: orders, and the Idempotency-Key records of POST /orders.
import { jsonb, numeric, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export type OrderStatus = 'PENDING' | 'NOTIFIED' | 'NOTIFICATION_FAILED';

export interface OrderItem {
  sku: string;
  quantity: number;
  unitPrice: string;
}

export const orders = pgTable('orders', {
  id: uuid('id').primaryKey(),
  customerId: uuid('customer_id').notNull(),
  email: text('email').notNull(),
  currency: text('currency').notNull(),
  items: jsonb('items').notNull().$type<OrderItem[]>(),
  total: numeric('total', { precision: 14, scale: 2 }).notNull(),
  status: text('status').notNull().$type<OrderStatus>(),
  failureReason: text('failure_reason'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export const idempotencyKeys = pgTable('idempotency_keys', {
  key: text('key').primaryKey(),
  /** SHA-256 of the request body: the same key with another body is refused. */
  requestHash: text('request_hash').notNull(),
  orderId: uuid('order_id').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
