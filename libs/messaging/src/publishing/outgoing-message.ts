// Builds what goes on the wire for a validated message: body, AMQP properties and the library's headers.
import { randomUUID } from 'node:crypto';
import type { Options } from 'amqplib';
import { currentCorrelation, newCorrelationId } from '../correlation/correlation-context';
import type { MessageClass } from '../message/message-class';
import { MessageHeaders } from '../topology/topology-names';

export interface PublishOptions {
  /** Defaults to a new UUID. Give your own to make a publish retry-safe for idempotent consumers. */
  messageId?: string;
  /** Defaults to the current correlation (HTTP request or message being handled), else a new id. */
  correlationId?: string;
  /** Defaults to the id of the message being handled, if any. */
  causationId?: string;
  /** Extra headers; the library's own headers win over these. */
  headers?: Record<string, string | number | boolean>;
}

/** A message ready to publish; also what the outbox stores. */
export interface OutgoingMessage {
  exchange: string;
  routingKey: string;
  content: Buffer;
  properties: Options.Publish & { messageId: string; type: string; headers: Record<string, unknown> };
}

export function buildOutgoingMessage(
  type: MessageClass,
  message: object,
  exchange: string,
  appId: string,
  options: PublishOptions = {},
): OutgoingMessage {
  const correlation = currentCorrelation();
  const correlationId = options.correlationId ?? correlation?.correlationId ?? newCorrelationId();
  const causationId = options.causationId ?? correlation?.causationId;
  const headers: Record<string, unknown> = {
    ...(options.headers ?? {}),
    [MessageHeaders.correlationId]: correlationId,
    [MessageHeaders.schemaVersion]: type.schemaVersion,
  };
  if (causationId) headers[MessageHeaders.causationId] = causationId;
  return {
    exchange,
    routingKey: type.messageType,
    content: Buffer.from(JSON.stringify(message)),
    properties: {
      messageId: options.messageId ?? randomUUID(),
      type: type.messageType,
      timestamp: Math.floor(Date.now() / 1000),
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      correlationId,
      appId,
      persistent: true,
      headers,
    },
  };
}
