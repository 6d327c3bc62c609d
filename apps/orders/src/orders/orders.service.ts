// Places orders: the order row, its order.created event and the start of its saga (which follows its notification) in
// one transaction.
import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, UnprocessableEntityException } from '@nestjs/common';
import { OrderCreated } from '@app/contracts';
import { DATABASE, Outbox, Sagas, type DatabaseHandle, type Transaction } from '@app/persistence';
import { eq } from 'drizzle-orm';
import { lineTotal } from './money';
import { OrderNotificationSaga, type OrderNotificationData } from './order-notification.saga';
import { idempotencyKeys, orders } from './order.schema';
import type { PlaceOrderRequest } from './place-order.request';

export type Order = typeof orders.$inferSelect;

export interface PlacedOrder {
  order: Order;
  /** False when an earlier request with the same Idempotency-Key had already placed it. */
  created: boolean;
}

@Injectable()
export class OrdersService {
  private readonly logger = new Logger('Orders');

  constructor(
    @Inject(DATABASE) private readonly database: DatabaseHandle,
    private readonly outbox: Outbox,
    private readonly sagas: Sagas,
    private readonly orderSaga: OrderNotificationSaga,
  ) {}

  async place(request: PlaceOrderRequest, idempotencyKey?: string): Promise<PlacedOrder> {
    const requestHash = createHash('sha256').update(canonicalJson(request)).digest('hex');
    const placed = await this.database.db.transaction(async (tx) => {
      const id = randomUUID();
      if (idempotencyKey) {
        const claimed = await tx
          .insert(idempotencyKeys)
          .values({ key: idempotencyKey, requestHash, orderId: id })
          .onConflictDoNothing()
          .returning({ orderId: idempotencyKeys.orderId });
        if (claimed.length === 0) return this.replay(tx, idempotencyKey, requestHash);
      }
      const items = request.items.map(({ sku, quantity, unitPrice }) => ({ sku, quantity, unitPrice }));
      const [order] = await tx
        .insert(orders)
        .values({
          id,
          customerId: request.customerId,
          email: request.email,
          currency: request.currency,
          items,
          total: lineTotal(items),
          status: 'PENDING',
        })
        .returning();
      await this.outbox.add(
        tx,
        OrderCreated,
        {
          orderId: order.id,
          customerId: order.customerId,
          email: order.email,
          currency: order.currency,
          items,
          total: order.total,
          placedAt: order.createdAt.toISOString(),
          notification: { kind: 'email', address: order.email },
        },
        { aggregateKey: order.id },
      );
      await this.sagas.start<OrderNotificationData>(tx, OrderNotificationSaga, order.id, (saga) => this.orderSaga.begin(saga, order));
      return { order, created: true };
    });
    if (placed.created)
      this.logger.log({ event: 'order.placed', orderId: placed.order.id, total: placed.order.total, currency: placed.order.currency });
    return placed;
  }

  async find(id: string): Promise<Order | undefined> {
    const [order] = await this.database.db.select().from(orders).where(eq(orders.id, id));
    return order;
  }

  private async replay(tx: Transaction, key: string, requestHash: string): Promise<PlacedOrder> {
    const [earlier] = await tx.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, key));
    if (earlier.requestHash !== requestHash) {
      throw new UnprocessableEntityException('Idempotency-Key was already used with a different request body');
    }
    const [order] = await tx.select().from(orders).where(eq(orders.id, earlier.orderId));
    return { order, created: false };
  }
}

/** JSON with sorted keys, so that the same request hashes the same whatever the key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
