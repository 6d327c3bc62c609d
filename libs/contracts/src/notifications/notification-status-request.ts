// Request: which notifications an order has had. Asked by the order service, answered by the notifier (request/reply
// over the Nest microservices transport); the reply is a NotificationStatusReply.
import { IsUuidField } from '../types/is-uuid-field';
import type { NotificationChannelKind } from './notification-channel';

export class NotificationStatusRequest {
  static readonly messageType = 'notification.status';
  static readonly schemaVersion = 1;

  @IsUuidField()
  orderId!: string;
}

/** The answer to a NotificationStatusRequest: the notifications sent for the order, oldest first (none yet: empty). */
export interface NotificationStatusReply {
  orderId: string;
  notifications: Array<{
    channel: NotificationChannelKind;
    /** Masked, as in notification.sent (e.g. "j***@example.com"). */
    recipient: string;
    /** Sends it took, counting the one that succeeded. */
    attempts: number;
    status: 'SENT';
    /** ISO 8601 with offset. */
    sentAt: string;
  }>;
}
