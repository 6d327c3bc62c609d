// The one place that spells broker names: exchanges, queues, routing keys and the headers the library owns.
// Operators see these names in the management UI; keep them readable and stable.

/** Headers written and read by the library. */
export const MessageHeaders = {
  correlationId: 'x-correlation-id',
  causationId: 'x-causation-id',
  schemaVersion: 'x-schema-version',
  attempts: 'x-attempts',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  errorType: 'x-error-type',
  errorMessage: 'x-error-message',
  errorStack: 'x-error-stack',
  firstFailedAt: 'x-first-failed-at',
  lastFailedAt: 'x-last-failed-at',
  originalExchange: 'x-original-exchange',
  originalRoutingKey: 'x-original-routing-key',
  originalQueue: 'x-original-queue',
  handler: 'x-handler',
  /** Written by the replay tool on a message it sends back. */
  replayedAt: 'x-replayed-at',
  replayCount: 'x-replay-count',
  /** Delay in ms for the x-delayed-message plugin. */
  delay: 'x-delay',
  /** Set by the broker on dead-lettering and by quorum queues on redelivery. */
  death: 'x-death',
  firstDeathQueue: 'x-first-death-queue',
  deliveryCount: 'x-delivery-count',
  /** Set by quorum queues from RabbitMQ 4.3: how often the message was handed to a consumer. */
  acquiredCount: 'x-acquired-count',
  /** The key whose messages are handled in publish order by ordered handlers (written by the publisher). */
  orderingKey: 'x-ordering-key',
  /**
   * orderingBucket(key) as decimal text: routes the message to its partition (written by the publisher). Not "x-":
   * a headers exchange leaves headers starting with "x-" out of its matching.
   */
  orderingBucket: 'ordering-bucket',
  /** A scheduled message: when it is due (ISO 8601), the token that cancels it, and where it goes once due. */
  scheduledFor: 'x-scheduled-for',
  scheduleToken: 'x-schedule-token',
  scheduledExchange: 'x-scheduled-exchange',
  scheduledRoutingKey: 'x-scheduled-routing-key',
  /** A request (send()): when its requester stops waiting for the reply (ISO 8601, the requester's clock). */
  requestDeadline: 'x-request-deadline',
} as const;

/**
 * Headers a broker writes about a delivery's past (its own dead-lettering, redelivery counters), on any version; a copy
 * the library makes (retry, dead letter, replay) is a new message whose counters start again, so they are left behind.
 */
export const BROKER_DEATH_HEADERS = [
  'x-death',
  'x-delivery-count',
  'x-acquired-count',
  'x-first-death-exchange',
  'x-first-death-queue',
  'x-first-death-reason',
  'x-last-death-exchange',
  'x-last-death-queue',
  'x-last-death-reason',
] as const;

/** Type (and routing key) of the fault event of a message type: `fault.<message-type>`. */
export function faultMessageType(messageType: string): string {
  return `fault.${messageType}`;
}

/** Number of delay levels: level L holds messages for 2^L seconds, so the ladder delays up to 2^LEVELS - 1 s (~3 days). */
export const DELAY_LEVELS = 18;

/** RabbitMQ's direct reply-to pseudo-queue (no declaration; the broker names each requester's address from it). */
const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';

/**
 * Buckets of ordering keys: a publisher writes a key's bucket (0..63) in the ordering-bucket header, and an ordered handler's
 * partitions each take the buckets b with b mod partitions = their index. So 64 is the most partitions a handler has.
 */
export const ORDERING_BUCKETS = 64;

/**
 * The bucket of an ordering key: FNV-1a (32 bits) over its UTF-8 bytes, modulo ORDERING_BUCKETS. Another language's
 * publisher writes the same value to reach the same partition.
 */
export function orderingBucket(key: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % ORDERING_BUCKETS;
}

/** The buckets partition `index` of `partitions` takes. */
export function partitionBuckets(index: number, partitions: number): number[] {
  return Array.from({ length: ORDERING_BUCKETS }, (_, bucket) => bucket).filter((bucket) => bucket % partitions === index);
}

export class TopologyNames {
  constructor(
    /** The topic exchange domain events are published to; routing key = message type. */
    readonly eventsExchange: string,
    readonly serviceName: string,
  ) {}

  /** Direct exchange that routes dead letters to `<queue>.dlq` (routing key = the dead-letter queue's name). */
  get deadLetterExchange(): string {
    return `${this.eventsExchange}.dead-letter`;
  }

  /** Default queue of a handler: `<service>.<message-type>`. */
  handlerQueue(messageType: string): string {
    return `${this.serviceName}.${messageType}`;
  }

  deadLetterQueue(queue: string): string {
    return `${queue}.dlq`;
  }

  /** Where the service's scheduled messages come back from the delay ladder to be sent on (or wait again): `<service>.scheduled`. */
  get scheduledQueue(): string {
    return `${this.serviceName}.scheduled`;
  }

  // Ordered handlers (@MessageHandler(T, { ordered })): the handler's queue is split into partitions, each consumed by
  // one instance at a time (single active consumer), fed by a headers exchange on the ordering bucket.

  /** Partition `index` of an ordered handler's queue: `<queue>.p00`, `<queue>.p01`... */
  partitionQueue(queue: string, index: number): string {
    return `${queue}.p${String(index).padStart(2, '0')}`;
  }

  /** Headers exchange bound to the events exchange by message type: routes by the ordering-bucket header to the partitions. */
  partitionExchange(queue: string): string {
    return `${queue}.partitions`;
  }

  /** Alternate exchange of the partition exchange: a message without a bucket goes to partition 0. */
  unkeyedExchange(queue: string): string {
    return `${queue}.unkeyed`;
  }

  /** Fanout exchange the instances consuming an ordered handler's queue announce themselves on. */
  membersExchange(queue: string): string {
    return `${queue}.members`;
  }

  /** Routing key of the fault event published when a message of `messageType` is dead-lettered. */
  faultRoutingKey(messageType: string): string {
    return faultMessageType(messageType);
  }

  // Delay infrastructure, shared by every service of a vhost (so not prefixed with the service name).

  delayLevelExchange(level: number): string {
    return `delay.level.${String(level).padStart(2, '0')}`;
  }

  delayLevelQueue(level: number): string {
    return `delay.level.${String(level).padStart(2, '0')}`;
  }

  get delayDeliveryExchange(): string {
    return 'delay.delivery';
  }

  /** Where delayed messages whose queue no longer exists end up (the delivery exchange's alternate exchange). */
  get delayUnroutableExchange(): string {
    return 'delay.unroutable';
  }

  get delayUnroutableQueue(): string {
    return 'delay.unroutable';
  }

  /** Entry point of the ladder: the highest level's exchange. */
  get delayEntryExchange(): string {
    return this.delayLevelExchange(DELAY_LEVELS - 1);
  }

  /** Exchange of type x-delayed-message, used when the broker has the plugin and it was chosen. */
  get delayedMessageExchange(): string {
    return 'delay.plugin';
  }

  // Request and reply (the Nest microservices transport): a request goes to the events exchange like any message; its
  // reply goes straight back to the requester's channel through RabbitMQ's direct reply-to, which declares nothing.

  /** The pseudo-queue a requester consumes its replies from, and the reply-to of its requests. */
  get directReplyTo(): string {
    return DIRECT_REPLY_TO;
  }

  /** Replies go through the default exchange, routed by the reply-to address the broker gave the request. */
  get replyExchange(): string {
    return '';
  }

  /** A reply-to the broker wrote for a direct reply-to consumer; any other would route a reply into a named queue. */
  isDirectReplyAddress(replyTo: string): boolean {
    return replyTo.startsWith(`${DIRECT_REPLY_TO}.`) && replyTo.length > DIRECT_REPLY_TO.length + 1;
  }
}

/**
 * Routing key that spells `delaySeconds` in binary, highest level first, one word per level, then the destination
 * queue: 5 s to `orders.x` with 4 levels is `0.1.0.1.orders.x`.
 */
export function delayRoutingKey(delaySeconds: number, destinationQueue: string, levels = DELAY_LEVELS): string {
  const max = 2 ** levels - 1;
  const seconds = Math.min(Math.max(0, Math.ceil(delaySeconds)), max);
  const words: string[] = [];
  for (let level = levels - 1; level >= 0; level--) {
    words.push(Math.floor(seconds / 2 ** level) % 2 === 1 ? '1' : '0');
  }
  return `${words.join('.')}.${destinationQueue}`;
}

/** Binding pattern at level `level`: any words for the higher levels, then `bit` for this level, then anything. */
export function delayLevelPattern(level: number, bit: '0' | '1', levels = DELAY_LEVELS): string {
  return `${'*.'.repeat(levels - 1 - level)}${bit}.#`;
}

/** Binding of a destination queue on the delivery exchange: exactly `levels` level words, then the queue's name. */
export function delayDeliveryPattern(destinationQueue: string, levels = DELAY_LEVELS): string {
  return `${'*.'.repeat(levels)}${destinationQueue}`;
}
