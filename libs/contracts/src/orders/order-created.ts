// Event: a customer placed an order. Published by the order service; the notifier tells the customer through the
// channel the order names.
import 'reflect-metadata'; // class-transformer's @Type reads design-time types through it.
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsObject, ValidateNested } from 'class-validator';
import {
  NOTIFICATION_CHANNEL_TYPE_OPTIONS,
  NotificationChannelBase,
  type NotificationChannel,
} from '../notifications/notification-channel';
import { IsCurrencyCode } from '../types/is-currency-code';
import { IsDecimalString } from '../types/is-decimal-string';
import { IsEmailAddress } from '../types/is-email-address';
import { IsIsoDateTimeWithOffset } from '../types/is-iso-date-time-with-offset';
import { IsUuidField } from '../types/is-uuid-field';
import { OrderLine } from './order-line';
import { Sensitive } from '@app/messaging-core';

export class OrderCreated {
  static readonly messageType = 'order.created';
  static readonly schemaVersion = 1;

  @IsUuidField()
  orderId!: string;

  @IsUuidField()
  customerId!: string;

  @IsEmailAddress()
  @Sensitive()
  email!: string;

  /** Currency of every amount in the order. */
  @IsCurrencyCode()
  currency!: string;

  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(100)
  // @ValidateNested alone would descend into a nested array and pass [[line]]; each element must be an object.
  @IsObject({ each: true, message: 'each value in $property must be an order line object' })
  @ValidateNested({ each: true })
  @Type(() => OrderLine)
  items!: OrderLine[];

  /** What the customer is charged. Not checked against the lines: this carries the order service's figure as is. */
  @IsDecimalString({ scale: 2 })
  total!: string;

  @IsIsoDateTimeWithOffset()
  placedAt!: string;

  // @ValidateNested alone passes a missing value and checks each element of an array; neither is a channel.
  @IsObject({ message: '$property must be an object with a "kind"' })
  @ValidateNested()
  @Type(() => NotificationChannelBase, NOTIFICATION_CHANNEL_TYPE_OPTIONS)
  notification!: NotificationChannel;
}
