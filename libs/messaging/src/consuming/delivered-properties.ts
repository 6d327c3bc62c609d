// The AMQP properties of a received message, typed as AMQP 0-9-1 defines them (shortstr as string, octet and
// timestamp as number): amqplib decodes them so but declares them `any`. Read them through here.
import type { Message } from 'amqplib';

export interface DeliveredProperties {
  contentType?: string;
  contentEncoding?: string;
  headers?: Record<string, unknown>;
  deliveryMode?: number;
  priority?: number;
  correlationId?: string;
  replyTo?: string;
  expiration?: string;
  messageId?: string;
  /** Seconds since the epoch. */
  timestamp?: number;
  type?: string;
  userId?: string;
  appId?: string;
}

export function deliveredProperties(message: Message): DeliveredProperties {
  return message.properties;
}
