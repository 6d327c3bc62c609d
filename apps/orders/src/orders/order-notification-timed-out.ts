// The order saga's timeout: a message the saga schedules to itself when the order is placed, NOTIFICATION_TIMEOUT_MS
// later. Internal to the order service (it is not a contract): only its own saga handles it.
import { IsUUID } from 'class-validator';

export class OrderNotificationTimedOut {
  static readonly messageType = 'orders.notification-timed-out';
  static readonly schemaVersion = 1;

  @IsUUID()
  orderId!: string;
}
