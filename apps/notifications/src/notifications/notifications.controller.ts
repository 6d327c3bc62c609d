// The notifications sent for an order, with how many attempts each took: over HTTP (GET /notifications?orderId=...),
// and as the answer to a notification.status request from another service (@MessagePattern, request/reply).
import { Controller, Get, Inject, ParseUUIDPipe, Query } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { NotificationStatusRequest, type NotificationChannelKind, type NotificationStatusReply } from '@app/contracts';
import { DATABASE, type DatabaseHandle } from '@app/persistence';
import { asc, eq } from 'drizzle-orm';
import { maskEmail } from './mask';
import { notifications } from './notification.schema';

export interface NotificationView {
  id: string;
  orderId: string;
  channel: string;
  recipient: string;
  attempts: number;
  status: string;
  sentAt: string;
}

@Controller('notifications')
export class NotificationsController {
  constructor(@Inject(DATABASE) private readonly database: DatabaseHandle) {}

  @Get()
  async list(@Query('orderId', new ParseUUIDPipe()) orderId: string): Promise<NotificationView[]> {
    const rows = await this.sentFor(orderId);
    return rows.map((row) => ({
      id: row.id,
      orderId: row.orderId,
      channel: row.channel,
      recipient: row.recipient,
      attempts: row.attempts,
      status: row.status,
      sentAt: row.sentAt.toISOString(),
    }));
  }

  /** Its reply travels to another service: the recipient is masked, as in notification.sent. */
  @MessagePattern(NotificationStatusRequest)
  async status(@Payload() request: NotificationStatusRequest): Promise<NotificationStatusReply> {
    const rows = await this.sentFor(request.orderId);
    return {
      orderId: request.orderId,
      notifications: rows.map((row) => ({
        channel: row.channel as NotificationChannelKind, // written by this service: always one of the kinds
        recipient: maskEmail(row.recipient),
        attempts: row.attempts,
        status: row.status,
        sentAt: row.sentAt.toISOString(),
      })),
    };
  }

  private sentFor(orderId: string) {
    return this.database.db.select().from(notifications).where(eq(notifications.orderId, orderId)).orderBy(asc(notifications.sentAt));
  }
}
