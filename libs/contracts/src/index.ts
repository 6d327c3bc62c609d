// Public API of the contracts library: the message classes the services exchange, the field types they are made
// of, and the tools to list them and describe them as JSON Schema.
// Every message class, from the generated catalogue (`npm run contracts:write` after adding one).
export * from './message-catalogue';

export { OrderLine } from './orders/order-line';
export {
  NotificationChannelBase,
  EmailChannel,
  SmsChannel,
  PushChannel,
  NOTIFICATION_CHANNEL_KINDS,
  type NotificationChannel,
  type NotificationChannelKind,
} from './notifications/notification-channel';
export type { NotificationStatusReply } from './notifications/notification-status-request';

export { IsUuidField } from './types/is-uuid-field';
export { IsIsoDateTimeWithOffset, isIsoDateTimeWithOffset } from './types/is-iso-date-time-with-offset';
export { IsDecimalString, isDecimalString, type DecimalStringOptions } from './types/is-decimal-string';
export { IsHttpUrl } from './types/is-http-url';
export { IsCurrencyCode, isCurrencyCode } from './types/is-currency-code';
export { IsEmailAddress, isEmailAddress, MAX_EMAIL_ADDRESS_LENGTH } from './types/is-email-address';
export { IsOmittable } from './types/is-omittable';

export { toJsonSchema, type JsonSchema, type JsonSchemaType, type JsonValue } from './schema/json-schema';
