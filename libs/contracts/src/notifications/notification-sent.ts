// Event: a notification about an order left through one channel. Published by the notifier once the provider
// accepted it.
import { IsIn, IsInt, IsString, Length, Min } from 'class-validator';
import { IsIsoDateTimeWithOffset } from '../types/is-iso-date-time-with-offset';
import { IsUuidField } from '../types/is-uuid-field';
import { NOTIFICATION_CHANNEL_KINDS, type NotificationChannelKind } from './notification-channel';
import { Sensitive } from '@app/messaging-core';

export class NotificationSent {
  static readonly messageType = 'notification.sent';
  static readonly schemaVersion = 1;

  @IsUuidField()
  notificationId!: string;

  @IsUuidField()
  orderId!: string;

  @IsIn(NOTIFICATION_CHANNEL_KINDS, {
    message: `$property must be one of: ${NOTIFICATION_CHANNEL_KINDS.join(', ')}`,
  })
  channel!: NotificationChannelKind;

  /**
   * Who it went to, masked by the sender (e.g. "j***@example.com"): events land in logs and dead-letter queues,
   * where a full address or phone number must not. The contract cannot tell masked from clear; senders must.
   */
  @IsString()
  @Length(1, 320)
  @Sensitive()
  recipient!: string;

  /** How many sends it took, counting the one that succeeded. */
  @IsInt()
  @Min(1)
  attempts!: number;

  @IsIsoDateTimeWithOffset()
  sentAt!: string;

  /** The provider's id for the send, for tracing it in the provider's console. */
  @IsString()
  @Length(1, 200)
  providerMessageId!: string;
}
