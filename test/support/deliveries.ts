// Deliveries for the specs of consume steps: a raw message as amqplib hands it over, a handler definition, and a
// channel that records what the outcome step asks of it instead of talking to a broker.
import type { ConsumeMessage, MessageProperties, Options } from 'amqplib';
import type { MessageClass } from '@app/messaging-core';
import { Delivery, type DeliveryChannel } from '@app/messaging/consuming/delivery';
import { MessageContext } from '@app/messaging/consuming/message-context';
import type { HandlerDefinition } from '@app/messaging/handlers/handler-definition';
import { DEFAULT_BACKOFF } from '@app/messaging/options/messaging-options';

export interface RawParts {
  /** A text or a buffer as it is, anything else as JSON. */
  body?: string | Buffer | object;
  properties?: Partial<MessageProperties>;
  headers?: Record<string, unknown>;
  redelivered?: boolean;
  exchange?: string;
  /** Default: the type. */
  routingKey?: string;
}

/** A delivery of a message of `type`, as amqplib hands it over: properties it does not set are undefined. */
export function rawDelivery(
  type: string,
  { body = {}, properties = {}, headers = {}, redelivered = false, exchange = 'domain.events', routingKey = type }: RawParts = {},
): ConsumeMessage {
  const content = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
  return {
    content,
    fields: { deliveryTag: 1, redelivered, exchange, routingKey, consumerTag: 'ctag' },
    properties: {
      contentType: 'application/json',
      contentEncoding: undefined,
      headers,
      deliveryMode: 2,
      priority: undefined,
      correlationId: undefined,
      replyTo: undefined,
      expiration: undefined,
      messageId: 'm-1',
      timestamp: undefined,
      type,
      userId: undefined,
      appId: undefined,
      clusterId: undefined,
      ...properties,
    },
  };
}

export function handlerFor(messageClass: MessageClass, overrides: Partial<HandlerDefinition> = {}): HandlerDefinition {
  return {
    name: 'TestHandler.handle',
    instance: {},
    methodName: 'handle',
    messageClass,
    queue: `test.${messageClass.messageType}`,
    prefetch: 10,
    retry: { maxAttempts: 3, backoff: { ...DEFAULT_BACKOFF, initialMs: 1000, jitter: 'none' } },
    classifiers: [],
    ...overrides,
  };
}

/** A channel that records acks, publishes and requeues; `failPublishes` makes every publish reject. */
export class RecordingChannel implements DeliveryChannel {
  readonly acked: Delivery[] = [];
  readonly requeued: Delivery[] = [];
  readonly published: Array<{ exchange: string; routingKey: string; content: Buffer; options: Options.Publish }> = [];
  failPublishes = false;

  ack(delivery: Delivery): void {
    this.acked.push(delivery);
  }

  async publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish): Promise<void> {
    if (this.failPublishes) throw new Error('channel closed');
    this.published.push({ exchange, routingKey, content, options });
  }

  async requeue(delivery: Delivery): Promise<void> {
    this.requeued.push(delivery);
  }
}

export function deliveryOf(handler: HandlerDefinition, raw: ConsumeMessage, channel: DeliveryChannel = new RecordingChannel()): Delivery {
  return new Delivery(raw, handler, new MessageContext(raw, handler.queue, handler.name), channel, 1);
}
