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
