// The broker of the in-memory transport: the library's exchanges routed as RabbitMQ routes them (events by message
// type, dead letters to `<queue>.dlq`, the delay ladder's routing key read as the delay, the default exchange by queue
// name), on a virtual clock, keeping every message that passes for the harness's assertions.
import type { ConsumeMessage, MessageProperties, Options } from 'amqplib';
import { DELAY_LEVELS, MessageHeaders, TopologyNames } from '@app/messaging';
import type { VirtualClock } from './virtual-clock';

/** A message as the broker took it: where it was published and when (virtual ms). */
export interface BrokerMessage {
  exchange: string;
  routingKey: string;
  content: Buffer;
  properties: MessageProperties;
  at: number;
}

/** A copy sent through the delay exchanges: it reaches `queue` at `dueAt`. */
export interface DelayedCopy {
  queue: string;
  delayMs: number;
  dueAt: number;
  message: BrokerMessage;
}

/** A queue's consumer, as the broker sees it. */
export interface MemoryQueue {
  readonly queue: string;
  readonly bindingKey: string;
  enqueue(raw: ConsumeMessage): void;
}

/** What the broker refuses as RabbitMQ does: a publish to an exchange that does not exist (404, the channel closes). */
export class NotFoundError extends Error {
  readonly code = 404;
}

export class MemoryBroker {
  /** Every message published to the events exchange (domain events, faults, outbox rows), in order. */
  readonly published: BrokerMessage[] = [];
  /** Every dead-letter copy, in order. */
  readonly deadLetters: BrokerMessage[] = [];
  /** Every copy sent through the delay exchanges (retries, deferrals), in order. */
  readonly delayed: DelayedCopy[] = [];
  /** Messages no queue took. */
  readonly unroutable: BrokerMessage[] = [];
  private readonly queues = new Map<string, MemoryQueue>();
  private readonly work = new Set<Promise<unknown>>();
  private names = new TopologyNames('', '');
  private deliveryTag = 0;

  constructor(readonly clock: VirtualClock) {}

  /** The library's names (the events exchange and the service), known once the module is compiled. */
  configure(names: TopologyNames): void {
    this.names = names;
  }

  get topologyNames(): TopologyNames {
    return this.names;
  }

  bind(queue: MemoryQueue): void {
    this.queues.set(queue.queue, queue);
  }

  unbind(queue: string): void {
    this.queues.delete(queue);
  }

  /** The library declares these exchanges (and a handler queue's dead-letter queue): the relay checks for them. */
  hasExchange(exchange: string): boolean {
    const { names } = this;
    return [names.eventsExchange, names.deadLetterExchange, names.delayEntryExchange, names.delayDeliveryExchange, ''].includes(exchange);
  }

  /** Ready messages of a queue: a dead-letter queue's copies; a handler queue's are handed out at once. */
  messageCount(queue: string): number {
    return this.deadLetters.filter((message) => message.routingKey === queue).length;
  }

  /** Work in progress (deliveries running, deliveries on their way): awaited by settled(). */
  track(task: Promise<unknown>): void {
    this.work.add(task);
    void task.finally(() => this.work.delete(task)).catch(() => undefined);
  }

  get busy(): boolean {
    return this.work.size > 0;
  }

  /** Resolves once no delivery is running or on its way (those that others start meanwhile included). */
  async settled(): Promise<void> {
    while (this.work.size > 0) await Promise.allSettled([...this.work]);
  }

  publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish = {}): void {
    const message: BrokerMessage = {
      exchange,
      routingKey,
      content: Buffer.from(content),
      properties: propertiesOf(options),
      at: this.clock.now,
    };
    const { names } = this;
    if (exchange === names.eventsExchange) {
      this.published.push(message);
      const bound = [...this.queues.values()].filter((queue) => queue.bindingKey === routingKey);
      if (bound.length === 0) this.unroutable.push(message);
      for (const queue of bound) this.deliver(queue, message);
    } else if (exchange === names.deadLetterExchange) {
      this.deadLetters.push(message);
    } else if (exchange === names.delayEntryExchange) {
      const { seconds, queue } = readDelayRoutingKey(routingKey);
      this.delay(message, queue, seconds * 1000, names.delayDeliveryExchange);
    } else if (exchange === names.delayedMessageExchange) {
      const delay = Number(message.properties.headers?.[MessageHeaders.delay] ?? 0);
      this.delay(message, routingKey, delay, names.delayedMessageExchange);
    } else if (exchange === '') {
      const queue = this.queues.get(routingKey);
      if (queue) this.deliver(queue, message);
      else this.unroutable.push(message);
    } else {
      throw new NotFoundError(`NOT_FOUND - no exchange '${exchange}' in the in-memory broker`);
    }
  }

  /** Hands a delivery back to its queue (a consumer gave it back): redelivered, as RabbitMQ marks it. */
  redeliver(queue: string, raw: ConsumeMessage, afterMs: number): void {
    this.clock.schedule(this.clock.now + afterMs, () => {
      const target = this.queues.get(queue);
      if (target) this.handOver(() => target.enqueue({ ...raw, fields: { ...raw.fields, redelivered: true } }));
    });
  }

  private delay(message: BrokerMessage, queue: string, delayMs: number, arrivesThrough: string): void {
    const dueAt = this.clock.now + delayMs;
    this.delayed.push({ queue, delayMs, dueAt, message });
    this.clock.schedule(dueAt, () => {
      const target = this.queues.get(queue);
      if (!target) {
        this.unroutable.push(message);
        return;
      }
      this.deliver(target, { ...message, exchange: arrivesThrough });
    });
  }

  private deliver(queue: MemoryQueue, message: BrokerMessage): void {
    const raw: ConsumeMessage = {
      content: Buffer.from(message.content),
      fields: {
        deliveryTag: ++this.deliveryTag,
        redelivered: false,
        exchange: message.exchange,
        routingKey: message.routingKey,
        consumerTag: `memory:${queue.queue}`,
      },
      // A copy: what one consumer does to its headers, another does not see (each gets its own decoded frame).
      properties: { ...message.properties, headers: structuredClone(message.properties.headers ?? {}) },
    };
    this.handOver(() => queue.enqueue(raw));
  }

  /** As the broker's deliveries arrive: after the publisher's call has returned, never inside it. */
  private handOver(enqueue: () => void): void {
    this.track(new Promise<void>((resolve) => setImmediate(() => resolve(enqueue()))));
  }
}

/** The delay and destination the ladder's routing key spells: one word per level (highest first), then the queue. */
export function readDelayRoutingKey(routingKey: string): { seconds: number; queue: string } {
  const words = routingKey.split('.');
  let seconds = 0;
  for (let index = 0; index < DELAY_LEVELS; index++) seconds = seconds * 2 + (words[index] === '1' ? 1 : 0);
  return { seconds, queue: words.slice(DELAY_LEVELS).join('.') };
}

/** The properties a consumer reads, as amqplib decodes them from what a publisher set. */
function propertiesOf(options: Options.Publish): MessageProperties {
  return {
    contentType: options.contentType,
    contentEncoding: options.contentEncoding,
    headers: structuredClone((options.headers as Record<string, unknown> | undefined) ?? {}),
    deliveryMode: options.persistent || options.deliveryMode === 2 || options.deliveryMode === true ? 2 : options.deliveryMode,
    priority: options.priority,
    correlationId: options.correlationId,
    replyTo: options.replyTo,
    expiration: options.expiration,
    messageId: options.messageId,
    timestamp: options.timestamp,
    type: options.type,
    userId: options.userId,
    appId: options.appId,
    clusterId: undefined,
  };
}
