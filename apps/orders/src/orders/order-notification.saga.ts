// The order saga: an order waits for its notification. notification.sent ends it NOTIFIED; the fault of its
// order.created (dead-lettered by the notifier) ends it NOTIFICATION_FAILED, the compensation; no outcome within
// NOTIFICATION_TIMEOUT_MS marks it OVERDUE and publishes one alert (order.notification-overdue), and a notification
// that still comes later ends it NOTIFIED. Each move updates the order's status in the same transaction, with a
// history entry that GET /orders/:id shows.
import { Inject, Injectable, Logger } from '@nestjs/common';
import { NotificationSent, OrderCreated, OrderNotificationOverdue } from '@app/contracts';
import { faultOf, type Fault } from '@app/messaging';
import { Handles, Saga, type SagaInstance, type Transaction } from '@app/persistence';
import { isUUID } from 'class-validator';
import { eq } from 'drizzle-orm';
import { ordersConfig, type OrdersConfig } from '../orders-config';
import { OrderNotificationTimedOut } from './order-notification-timed-out';
import { orders, type OrderStatus } from './order.schema';

export interface OrderNotificationData {
  placedAt: string;
  timeoutMs: number;
}

type OrderSaga = SagaInstance<OrderNotificationData>;

@Saga({ name: 'order-notification' })
@Injectable()
export class OrderNotificationSaga {
  private readonly logger = new Logger('Orders');

  constructor(@Inject(ordersConfig.KEY) private readonly config: OrdersConfig) {}

  /** Starts the saga of a placed order, in the order's own transaction (OrdersService.place): its timeout is set here. */
  async begin(saga: OrderSaga, order: { id: string; createdAt: Date }): Promise<void> {
    const timeoutMs = this.config.notificationTimeoutMs;
    saga.data = { placedAt: order.createdAt.toISOString(), timeoutMs };
    saga.transitionTo('PENDING', 'order placed');
    saga.waitingFor = NotificationSent.messageType;
    await saga.schedule(OrderNotificationTimedOut, { orderId: order.id }, { delayMs: timeoutMs });
  }

  @Handles(NotificationSent, { key: (event) => event.orderId })
  async onNotificationSent(event: NotificationSent, saga: OrderSaga): Promise<void> {
    const note = `sent after ${event.attempts} attempt(s)`;
    await setOrderStatus(saga.transaction, saga.key, 'NOTIFIED');
    saga.complete('NOTIFIED', saga.state === 'OVERDUE' ? `${note}, late` : note);
    this.logger.log({ event: 'order.notified', orderId: saga.key, attempts: event.attempts });
  }

  /** The compensation. A fault too broken to name an order (poison input) has nothing to compensate: ignored. */
  @Handles(faultOf(OrderCreated), { key: orderIdOfFault, missing: 'ignore' })
  async onOrderCreatedFault(fault: Fault, saga: OrderSaga): Promise<void> {
    const reason = `${fault.errorType}: ${fault.errorMessage}`;
    await setOrderStatus(saga.transaction, saga.key, 'NOTIFICATION_FAILED', reason);
    saga.complete('NOTIFICATION_FAILED', reason);
    this.logger.warn({ event: 'order.notification_failed', orderId: saga.key, errorType: fault.errorType });
  }

  /** Its own timeout: the order is overdue, and one alert goes out. A completed saga never sees it (it was cancelled). */
  @Handles(OrderNotificationTimedOut, { key: (timeout) => timeout.orderId, missing: 'ignore' })
  async onTimedOut(_timeout: OrderNotificationTimedOut, saga: OrderSaga): Promise<void> {
    if (saga.state !== 'PENDING') return;
    await setOrderStatus(saga.transaction, saga.key, 'OVERDUE');
    saga.transitionTo('OVERDUE', `no notification within ${saga.data.timeoutMs} ms`);
    await saga.publish(OrderNotificationOverdue, { orderId: saga.key, placedAt: saga.data.placedAt, timeoutMs: saga.data.timeoutMs });
    this.logger.warn({ event: 'order.notification_overdue', orderId: saga.key, timeoutMs: saga.data.timeoutMs });
  }
}

/** The order a fault of order.created is about: from the whole message when it could be carried, else its excerpt. */
export function orderIdOfFault(fault: Fault): string | undefined {
  const candidate = fault.message?.orderId ?? fault.messageExcerpt?.orderId;
  return typeof candidate === 'string' && isUUID(candidate) ? candidate : undefined;
}

async function setOrderStatus(tx: Transaction, orderId: string, status: OrderStatus, failureReason?: string): Promise<void> {
  await tx
    .update(orders)
    .set({ status, failureReason: failureReason ?? null, updatedAt: new Date() })
    .where(eq(orders.id, orderId));
}
