// Event: an alert. An order's notification has not come within the order service's NOTIFICATION_TIMEOUT_MS. Published
// once per order by the order service's saga; a notification that still comes later settles the order as usual.
import { IsInt, Min } from 'class-validator';
import { IsIsoDateTimeWithOffset } from '../types/is-iso-date-time-with-offset';
import { IsUuidField } from '../types/is-uuid-field';

export class OrderNotificationOverdue {
  static readonly messageType = 'order.notification-overdue';
  static readonly schemaVersion = 1;

  @IsUuidField()
  orderId!: string;

  @IsIsoDateTimeWithOffset()
  placedAt!: string;

  /** How long the order waited for its notification before this alert. */
  @IsInt()
  @Min(1)
  timeoutMs!: number;
}
