// Builds what goes on the wire for a validated message: body, AMQP properties and the library's headers. Two parts,
// one per publish step: the envelope (identity, type, schema version) and the correlation (which request or message
// caused it).
import { randomUUID } from 'node:crypto';
import type { Options } from 'amqplib';
import type { MessageClass } from '@app/messaging-core';
import { currentCorrelation, newCorrelationId } from '../correlation/correlation-context';
import { MessageHeaders, orderingBucket } from '../topology/topology-names';

export interface PublishOptions {
  /** Defaults to a new UUID. Give your own to make a publish retry-safe for idempotent consumers. */
  messageId?: string;
  /** Defaults to the current correlation (HTTP request or message being handled), else a new id. */
  correlationId?: string;
  /** Defaults to the id of the message being handled, if any. */
  causationId?: string;
  /** Extra headers; the library's own headers win over these. */
  headers?: Record<string, string | number | boolean>;
  /**
   * The key ordered handlers keep the messages of in publish order (an order's id). Default: the value of the field
   * the class names as its `orderingKey`; an outbox row's `aggregateKey` when the class names none.
   */
  orderingKey?: string;
}

/** A message ready to publish; also what the outbox stores. */
export interface OutgoingMessage {
  exchange: string;
  routingKey: string;
  content: Buffer;
  // amqplib types headers as any; here they are the library's own record.
  properties: Omit<Options.Publish, 'headers'> & { messageId: string; type: string; headers: Record<string, unknown> };
}

/** Body, identity, type and schema version of a validated message, routed by its type. */
export function envelopeMessage(
  type: MessageClass,
  message: object,
  exchange: string,
  appId: string,
  options: PublishOptions = {},
): OutgoingMessage {
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
      appId,
      persistent: true,
      headers: libraryHeaders(type, message, options),
    },
  };
}

/**
 * The caller's headers, then the library's (which win): schema version, and x-ordering-key and ordering-bucket when
 * the message has an ordering key (a text or a number). Written into one object, not spread from partial ones: this
 * runs for every message published.
 */
function libraryHeaders(type: MessageClass, message: object, options: PublishOptions): Record<string, unknown> {
  const headers: Record<string, unknown> = options.headers ? { ...options.headers } : {};
  headers[MessageHeaders.schemaVersion] = type.schemaVersion;
  const value: unknown = options.orderingKey ?? (type.orderingKey ? (message as Record<string, unknown>)[type.orderingKey] : undefined);
  if ((typeof value === 'string' && value !== '') || typeof value === 'number') {
    const key = String(value);
    headers[MessageHeaders.orderingKey] = key;
    headers[MessageHeaders.orderingBucket] = String(orderingBucket(key));
  }
  return headers;
}

/** Sets the correlation id (given, else the current one, else a new one) and the causation id, if any. */
export function correlate(outgoing: OutgoingMessage, options: PublishOptions = {}): void {
  const correlation = currentCorrelation();
  const correlationId = options.correlationId ?? correlation?.correlationId ?? newCorrelationId();
  const causationId = options.causationId ?? correlation?.causationId;
  outgoing.properties.correlationId = correlationId;
  outgoing.properties.headers[MessageHeaders.correlationId] = correlationId;
  if (causationId) outgoing.properties.headers[MessageHeaders.causationId] = causationId;
}

/** Envelope and correlation in one call, for messages the library sends outside the publish pipeline (fault events). */
export function buildOutgoingMessage(
  type: MessageClass,
  message: object,
  exchange: string,
  appId: string,
  options: PublishOptions = {},
): OutgoingMessage {
  const outgoing = envelopeMessage(type, message, exchange, appId, options);
  correlate(outgoing, options);
  return outgoing;
}
