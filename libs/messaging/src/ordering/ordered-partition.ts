// One partition of an ordered handler, while this instance holds it: consumes the partition's queue on a channel of
// its own, runs the deliveries of one ordering key one after the other (keys side by side), retries a failed one in
// place so that the later ones of its key wait for it, and hands the partition over by draining and then closing its
// channel: the broker then gives what was not handled back to the queue, in order, to the next consumer.
import { Logger } from '@nestjs/common';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { Channel, ConsumeMessage, Options } from 'amqplib';
import { AckBatcher } from '../consuming/ack-batcher';
import type { ConsumePipelineRun } from '../consuming/consume-pipeline';
import { Delivery, type DeliveryChannel } from '../consuming/delivery';
import type { ConsumerDependencies } from '../consuming/message-consumer';
import { MessageContext } from '../consuming/message-context';
import { headerTrustFor, type HeaderTrust } from '../consuming/owned-headers';
import { errorMessage } from '../dead-letter/dead-letter-headers';
import type { HandlerDefinition } from '../handlers/handler-definition';
import { MessageHeaders } from '../topology/topology-names';

/** How long a delivery whose dead-letter copy could not be published waits before it is tried again. */
const REQUEUE_PAUSE_MS = 1000;

interface PendingRetry {
  delayMs: number;
  countsAttempt: boolean;
}

export class OrderedPartition implements DeliveryChannel {
  private readonly logger = new Logger('Messaging');
  private channel?: ChannelWrapper;
  /** Bumped on every (re)connect of the channel: a delivery of an older channel is not acked on the new one. */
  private generation = 0;
  /** The last delivery of each ordering key (its whole run, retries in place included): the next one waits for it. */
  private readonly tails = new Map<string, Promise<void>>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly retries = new WeakMap<Delivery, PendingRetry>();
  private readonly wakers = new Set<() => void>();
  private acks = this.newAckBatcher();
  private trust?: HeaderTrust;
  private releasing = false;
  private ready = false;

  constructor(
    readonly index: number,
    /** The partition's queue. */
    readonly queue: string,
    private readonly handler: HandlerDefinition,
    private readonly pipeline: ConsumePipelineRun,
    private readonly deps: ConsumerDependencies,
    /** Declares the partition's queue on a channel (before consuming, after every reconnect). */
    private readonly declare: (channel: Channel) => Promise<void>,
  ) {}

  /** Registered on an open channel (active, or waiting its turn behind the consumer that holds the partition now). */
  get isRunning(): boolean {
    return this.ready && !this.releasing && this.deps.connection.isConnected();
  }

  /** Opens the channel and registers the consumer; the broker makes it the active one when no other holds the queue. */
  async acquire(): Promise<void> {
    const { options } = this.deps;
    this.channel = this.deps.connection.createChannel({
      name: `consumer:${this.queue}`,
      publishTimeout: options.publishTimeoutMs,
      setup: async (channel: Channel) => {
        this.generation++;
        this.ready = false;
        this.trust = undefined;
        this.acks.discard();
        this.acks = this.newAckBatcher();
        await this.declare(channel);
        // Here rather than as consume()'s prefetch option, which amqp-connection-manager sends without awaiting its
        // reply: a channel closed before the reply (a partition handed over at once) would reject it unhandled.
        await channel.prefetch(this.handler.prefetch);
      },
    });
    this.channel.on('error', (error: Error) => {
      if (!this.releasing) this.logger.error({ event: 'consumer.channel_error', queue: this.queue, reason: error.message });
    });
    this.channel.on('connect', () => (this.ready = true));
    await this.channel.consume(this.queue, (raw) => this.onDelivery(raw));
    this.ready = this.deps.connection.isConnected();
  }

  /**
   * Hands the partition over: takes no delivery further, lets the ones in their handler finish (bounded), sends their
   * acks, and closes the channel. Not basic.cancel: with deliveries still unacked, the broker would activate the next
   * consumer at once and hand it the later messages before these came back.
   */
  async release(timeoutMs: number): Promise<void> {
    this.releasing = true;
    for (const wake of this.wakers) wake();
    await settleWithin([...this.inFlight], timeoutMs);
    if (this.inFlight.size > 0) this.logger.warn({ event: 'consumer.release_timeout', queue: this.queue, inFlight: this.inFlight.size });
    this.acks.flush();
    await this.channel?.close().catch(() => undefined);
    this.channel = undefined;
  }

  ack(delivery: Delivery): void {
    if (!this.channel || delivery.generation !== this.generation) {
      this.logger.warn({
        event: 'message.ack_skipped_channel_replaced',
        queue: this.queue,
        messageId: delivery.context.messageId,
        type: delivery.context.messageType,
        attempt: delivery.context.attempt,
      });
      return;
    }
    this.acks.ack(delivery.raw);
  }

  async publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish): Promise<void> {
    const channel = this.channel;
    if (!channel) throw new Error(`The consumer of ${this.queue} has stopped`);
    await channel.publish(exchange, routingKey, content, options);
  }

  /** A delivery whose dead-letter copy could not be published: tried again in place (given back, it would come last). */
  requeue(delivery: Delivery): Promise<void> {
    this.retries.set(delivery, { delayMs: REQUEUE_PAUSE_MS, countsAttempt: false });
    return Promise.resolve();
  }

  retryInPlace(delivery: Delivery, delayMs: number, countsAttempt: boolean): void {
    this.retries.set(delivery, { delayMs, countsAttempt });
  }

  private onDelivery(raw: ConsumeMessage): void {
    this.deps.instrumentation.consumed();
    this.acks.received(raw);
    this.trust ??= headerTrustFor(this.deps.options.queueType, this.deps.topology.names, this.deps.connection.semantics);
    const delivery = new Delivery(
      raw,
      this.handler,
      new MessageContext(raw, this.queue, this.handler.name, this.trust),
      this,
      this.generation,
    );
    const key = orderingKeyOf(raw);
    // The tail survives a reconnect: a redelivery waits for the run of the same message still in its handler.
    const previous = this.tails.get(key) ?? Promise.resolve();
    const run = previous.then(() => this.run(delivery));
    this.tails.set(key, run);
    const task = run.finally(() => {
      this.inFlight.delete(task);
      if (this.tails.get(key) === run) this.tails.delete(key);
    });
    this.inFlight.add(task);
  }

  /** Runs a delivery through the pipeline, and again in place for as long as the outcome asks for a retry. */
  private async run(first: Delivery): Promise<void> {
    let delivery = first;
    for (;;) {
      // Handed over, or its channel replaced: the broker has it back (or will, when the channel closes).
      if (this.releasing || delivery.generation !== this.generation) return;
      try {
        await this.pipeline(delivery);
      } catch (error) {
        this.logger.error({ event: 'consumer.settle_failed', queue: this.queue, reason: errorMessage(error) });
        return;
      }
      const retry = this.retries.get(delivery);
      if (!retry) return;
      await this.sleep(retry.delayMs);
      const { raw, context } = delivery;
      const attempt = retry.countsAttempt ? context.attempt + 1 : context.attempt;
      delivery = new Delivery(
        raw,
        this.handler,
        new MessageContext(raw, this.queue, this.handler.name, this.trust, attempt),
        this,
        delivery.generation,
      );
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }

  private newAckBatcher(): AckBatcher {
    return new AckBatcher({ ack: (message, allUpTo) => this.channel?.ack(message, allUpTo) });
  }
}

/** The delivery's ordering key; deliveries without one are kept in order among themselves. */
function orderingKeyOf(raw: ConsumeMessage): string {
  const key: unknown = raw.properties.headers?.[MessageHeaders.orderingKey];
  return typeof key === 'string' ? `k:${key}` : typeof key === 'number' ? `k:${String(key)}` : '';
}

async function settleWithin(tasks: Promise<unknown>[], timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled(tasks),
    new Promise((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    }),
  ]);
  clearTimeout(timer);
}
