// GET /notifications?orderId=... : the notifications sent for an order, with how many attempts each took.
import { Controller, Get, Inject, ParseUUIDPipe, Query } from '@nestjs/common';
import { DATABASE, type DatabaseHandle } from '@app/persistence';
import { asc, eq } from 'drizzle-orm';
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
    const rows = await this.database.db
      .select()
      .from(notifications)
      .where(eq(notifications.orderId, orderId))
      .orderBy(asc(notifications.sentAt));
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
}
