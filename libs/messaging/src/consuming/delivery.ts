// One delivery on its way through the consume pipeline: what the broker handed over, and what each step adds.
import type { ConsumeMessage, Options } from 'amqplib';
import type { HandlerDefinition } from '../handlers/handler-definition';
import type { MessageContext } from './message-context';

/** What the outcome step asks of the consumer that received a delivery; channel work stays with the consumer. */
export interface DeliveryChannel {
  /** Acks the delivery (coalesced with the others of this event-loop turn). */
  ack(delivery: Delivery): void;
  /** Publishes on the delivery's channel and resolves on the broker's confirm (a retry or dead-letter copy, a fault). */
  publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish): Promise<void>;
  /** Gives the delivery back to its queue after a pause (its copy could not be published). */
  requeue(delivery: Delivery): Promise<void>;
  /**
   * Only on the partitions of an ordered handler: runs the delivery again after `delayMs`, in place of a copy through
   * the delay exchanges (which would come back behind later messages of its key); `countsAttempt` false for a deferral.
   */
  retryInPlace?(delivery: Delivery, delayMs: number, countsAttempt: boolean): void;
}

export class Delivery {
  /** The body read as JSON by the decode step. */
  body: unknown;
  /** The validated message, an instance of the handler's class (the validate step). */
  message: object | undefined;
  /** What the handler returned (an Observable's last value): the reply of a @MessagePattern handler. */
  result: unknown;
  /** The idempotency step found the message already handled: the handler was not called. */
  duplicate = false;
  /** performance.now() when it arrived. */
  readonly receivedAt = performance.now();

  constructor(
    readonly raw: ConsumeMessage,
    readonly handler: HandlerDefinition,
    /** What the handler gets: ids, attempt, headers, and the transaction of its idempotency store. */
    readonly context: MessageContext,
    readonly channel: DeliveryChannel,
    /** The channel generation it came on: a delivery of a replaced channel is not acked on the new one. */
    readonly generation: number,
  ) {}
}
