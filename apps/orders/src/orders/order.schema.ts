// The order service's own tables: orders, and the Idempotency-Key records of POST /orders.
import { jsonb, numeric, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** PENDING until its notification; OVERDUE when it did not come in time (it may still); NOTIFIED or NOTIFICATION_FAILED at the end. */
export type OrderStatus = 'PENDING' | 'OVERDUE' | 'NOTIFIED' | 'NOTIFICATION_FAILED';

/** The total's column: numeric(14, 2), so at most 12 digits before the point. Requests are checked against it. */
export const ORDER_TOTAL_COLUMN = { precision: 14, scale: 2 } as const;

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
  total: numeric('total', ORDER_TOTAL_COLUMN).notNull(),
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
