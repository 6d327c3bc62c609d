// Records each order placed (order.created, from the queue {{name}}.order.created) once in the service's own table:
// the row and the inbox mark commit in one transaction, so a redelivered message changes nothing.
import { Injectable, Logger } from '@nestjs/common';
import { OrderCreated } from '@app/contracts';
import { Idempotent, MessageContext, MessageHandler } from '@app/messaging';
import { receivedOrders } from './received-order.schema';

@Injectable()
export class OrderCreatedHandler {
  private readonly logger = new Logger(OrderCreatedHandler.name);

  @MessageHandler(OrderCreated)
  @Idempotent()
  async onOrderCreated(order: OrderCreated, context: MessageContext): Promise<void> {
    await context.transaction.insert(receivedOrders).values({
      orderId: order.orderId,
      messageId: context.messageId,
      total: order.total,
      currency: order.currency,
    });
    this.logger.log({ event: 'order.received', orderId: order.orderId, total: order.total, currency: order.currency });
  }
}
