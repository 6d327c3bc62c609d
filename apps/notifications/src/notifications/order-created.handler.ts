// Tells the customer that their order was placed: sends the e-mail, records it, and announces notification.sent, with
// the record, the event and the inbox mark in one transaction.
import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { NotificationSent, OrderCreated } from '@app/contracts';
import { Idempotent, MessageContext, MessageHandler, PermanentError, Retryable } from '@app/messaging';
import { Outbox } from '@app/persistence';
import { EmailSender } from './email-sender';
import { maskEmail } from './mask';
import { notifications } from './notification.schema';

@Injectable()
export class OrderCreatedHandler {
  private readonly logger = new Logger('Notifications');

  constructor(
    private readonly email: EmailSender,
    private readonly outbox: Outbox,
  ) {}

  @MessageHandler(OrderCreated)
  @Idempotent()
  @Retryable({ maxAttempts: 4, backoff: { initialMs: 1000, factor: 2, maxMs: 10_000, jitter: 'equal' } })
  async onOrderCreated(order: OrderCreated, context: MessageContext): Promise<void> {
    if (order.notification.kind !== 'email') {
      throw new PermanentError(`Notification channel "${order.notification.kind}" is not supported by this service`);
    }
    const recipient = order.notification.address;
    const receipt = await this.email.send({
      to: recipient,
      subject: `Order ${order.orderId} received`,
      text: `Thank you. We received your order of ${order.total} ${order.currency}.`,
      // A redelivery after a crash must not mail the customer twice.
      idempotencyKey: context.messageId,
    });
    const sentAt = new Date();
    const notificationId = randomUUID();
    await context.transaction.insert(notifications).values({
      id: notificationId,
      orderId: order.orderId,
      messageId: context.messageId,
      channel: 'email',
      recipient,
      attempts: context.attempt,
      status: 'SENT',
      providerMessageId: receipt.providerMessageId,
      sentAt,
    });
    await this.outbox.add(
      context.transaction,
      NotificationSent,
      {
        notificationId,
        orderId: order.orderId,
        channel: 'email',
        recipient: maskEmail(recipient),
        attempts: context.attempt,
        sentAt: sentAt.toISOString(),
        providerMessageId: receipt.providerMessageId,
      },
      { aggregateKey: order.orderId },
    );
    this.logger.log({ event: 'notification.sent', orderId: order.orderId, recipient: maskEmail(recipient), attempt: context.attempt });
  }
}
