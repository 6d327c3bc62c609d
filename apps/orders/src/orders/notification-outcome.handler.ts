// Follows each order's notification: notification.sent marks it NOTIFIED; the fault of its order.created
// (dead-lettered by the notifier) marks it NOTIFICATION_FAILED, the compensation. The first is written with the Nest
// microservices decorators (@EventPattern, @Payload, @Ctx), the second with @MessageHandler: both run through the same
// consume pipeline, from queues of the same shape (orders.notification.sent, orders.fault.order.created).
import { Controller, Logger } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { NotificationSent, OrderCreated } from '@app/contracts';
import { Fault, faultOf, Idempotent, MessageContext, MessageHandler } from '@app/messaging';
import { isUUID } from 'class-validator';
import { OrdersService } from './orders.service';

@Controller() // Nest takes @EventPattern handlers from controllers
export class NotificationOutcomeHandler {
  private readonly logger = new Logger('Orders');

  constructor(private readonly orders: OrdersService) {}

  @EventPattern(NotificationSent)
  @Idempotent()
  async onNotificationSent(@Payload() event: NotificationSent, @Ctx() context: MessageContext): Promise<void> {
    if (await this.orders.settle(context.transaction, event.orderId, 'NOTIFIED')) {
      this.logger.log({ event: 'order.notified', orderId: event.orderId, attempts: event.attempts });
    }
  }

  @MessageHandler(faultOf(OrderCreated))
  @Idempotent()
  async onOrderCreatedFault(fault: Fault, context: MessageContext): Promise<void> {
    // The whole order.created when the fault could carry it, else its short fields (a body too big to carry).
    const candidate = fault.message?.orderId ?? fault.messageExcerpt?.orderId;
    const orderId = typeof candidate === 'string' && isUUID(candidate) ? candidate : undefined;
    if (!orderId) {
      // A message too broken to name an order (e.g. poison input): nothing here to compensate.
      this.logger.warn({
        event: 'order.fault_without_order',
        messageId: fault.messageId,
        errorType: fault.errorType,
        deadLetterQueue: fault.original?.deadLetterQueue,
      });
      return;
    }
    const reason = `${fault.errorType}: ${fault.errorMessage}`;
    if (await this.orders.settle(context.transaction, orderId, 'NOTIFICATION_FAILED', reason)) {
      this.logger.warn({ event: 'order.notification_failed', orderId, errorType: fault.errorType });
    }
  }
}
