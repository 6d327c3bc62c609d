// Consumes one handler's queue: declares it on every (re)connect, hands each delivery to the handler's pipeline, and
// does the channel work the outcome step asks for (acks, copies, giving a delivery back). While a dependency of the
// handler is down it pauses (its consumer is cancelled, so the broker keeps the messages) and resumes when it is back.
import { Logger } from '@nestjs/common';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { Channel, ConsumeMessage, Options } from 'amqplib';
import type { AmqpConnection } from '../connection/amqp-connection';
import { GIVE_BACK } from '../connection/broker-semantics';
import { errorMessage } from '../dead-letter/dead-letter-headers';
import type { DependencyMonitor } from '../dependencies/dependency-monitor';
import type { HandlerDefinition } from '../handlers/handler-definition';
import type { ConsumerInstrumentation } from '../instrumentation/messaging-instrumentation';
import type { ResolvedMessagingOptions } from '../options/messaging-options';
import type { DelayScheduler } from '../retry/delay-scheduler';
import { clusterTolerantChannel } from '../topology/cluster-tolerant-channel';
import type { Topology } from '../topology/topology';
import { AckBatcher } from './ack-batcher';
import type { ConsumePipelineRun } from './consume-pipeline';
import { Delivery, type DeliveryChannel } from './delivery';
import { MessageContext } from './message-context';
import { headerTrustFor, type HeaderTrust } from './owned-headers';

/** How long a delivery whose copy could not be published waits before it goes back to its queue. */
const REQUEUE_PAUSE_MS = 1000;

export interface ConsumerDependencies {
  connection: AmqpConnection;
  topology: Topology;
  delays: DelayScheduler;
  options: ResolvedMessagingOptions;
  instrumentation: ConsumerInstrumentation;
  /** What the handler needs (see Dependencies.forHandler): the consumer takes deliveries only while all are up. */
  dependencies?: readonly DependencyMonitor[];
}

export class MessageConsumer implements DeliveryChannel {
  private readonly logger = new Logger('Messaging');
  private channel?: ChannelWrapper;
  /** Bumped on every (re)connect: a delivery from an older channel cannot be acked on the new one. */
  private generation = 0;
  private readonly inFlight = new Set<Promise<void>>();
  /** Between start() and stop(). */
  private consuming = false;
  /** Registered with the channel (so also after every reconnect); false while paused. */
  private registered = false;
  /** Consume and cancel calls, one after the other. */
  private registration: Promise<void> = Promise.resolve();
  private readonly unwatch: Array<() => void> = [];
  /** It has paused once: registering again is a resume. */
  private resumable = false;
  /** The current channel finished its setup and registered the consumer (false again while a new one sets up). */
  private channelReady = false;
  /** Acks of the current channel (a new one per channel, like the generation). */
  private acks = this.newAckBatcher();
  private trust?: HeaderTrust;

  constructor(
    readonly handler: HandlerDefinition,
    private readonly pipeline: ConsumePipelineRun,
    private readonly deps: ConsumerDependencies,
  ) {}

  get queue(): string {
    return this.handler.queue;
  }

  /** True while the consumer is registered on an open channel whose topology is declared. */
  get isRunning(): boolean {
    return this.consuming && this.registered && this.channelReady && this.deps.connection.isConnected();
  }

  /** The dependencies it waits for now (paused while there is any). */
  get waitingFor(): string[] {
    return (this.deps.dependencies ?? []).filter((dependency) => !dependency.isUp).map((dependency) => dependency.name);
  }

  async start(): Promise<void> {
    const { queue, messageClass } = this.handler;
    const { topology, options, delays } = this.deps;
    this.channel = this.deps.connection.createChannel({
      name: `consumer:${queue}`,
      // Retry and dead-letter copies wait for a connection no longer than a publish does.
      publishTimeout: options.publishTimeoutMs,
      setup: async (channel: Channel) => {
        this.generation++;
        this.channelReady = false;
        // Judged again for each connection: after a reconnect the broker may be another version (a rolling upgrade).
        this.trust = undefined;
        this.acks.discard();
        this.acks = this.newAckBatcher();
        // Its dead-letter queue (classic, on one node) may be down on a cluster: that must not keep the consumer away.
        const declaring = clusterTolerantChannel(channel, this.deps.connection);
        await topology.declareHandlerQueue(declaring, {
          queue,
          messageType: messageClass.messageType,
          queueType: options.queueType,
          quorum: options.quorum,
          // The broker's own limit is a backstop behind the library's guard, which dead-letters with reasons first.
          deliveryLimit: options.maxRedeliveries + 2,
        });
        await topology.declareDelaysFor(declaring, queue, await delays.mechanism());
        // Here rather than as consume()'s prefetch option, which amqp-connection-manager sends without awaiting its
        // reply: a channel closed before the reply would reject it unhandled (as for an ordered handler's partitions).
        await channel.prefetch(this.handler.prefetch);
      },
    });
    this.channel.on('error', (error: Error) => {
      if (this.consuming) this.logger.error({ event: 'consumer.channel_error', queue, reason: error.message });
    });
    this.channel.on('connect', () => (this.channelReady = true));
    this.consuming = true;
    for (const dependency of this.deps.dependencies ?? []) this.unwatch.push(dependency.onChange(() => this.followDependencies()));
    const waitingFor = this.waitingFor;
    if (waitingFor.length > 0) {
      this.resumable = true;
      this.logger.warn({ event: 'consumer.paused', queue, waitingFor });
    }
    this.followDependencies();
    await this.registration;
  }

  /** Registers the consumer while every dependency is up, cancels it while one is down (in order, one call at a time). */
  private followDependencies(): void {
    this.registration = this.registration
      .then(async () => {
        const channel = this.channel;
        const wanted = this.consuming && this.waitingFor.length === 0;
        if (!channel || wanted === this.registered) return;
        const { queue } = this.handler;
        if (wanted) {
          this.registered = true;
          await channel.consume(queue, (raw) => this.onDelivery(raw));
          if (this.resumable) this.logger.log({ event: 'consumer.resumed', queue });
        } else {
          this.registered = false;
          this.resumable = true;
          this.logger.warn({ event: 'consumer.paused', queue, waitingFor: this.waitingFor });
          await channel.cancelAll();
        }
      })
      .catch((error: unknown) =>
        this.logger.error({ event: 'consumer.registration_failed', queue: this.queue, reason: errorMessage(error) }),
      );
  }

  /** Resolves once the queue is declared and the consumer registered on the current channel. */
  async waitUntilReady(): Promise<void> {
    if (!this.channel) throw new Error(`Consumer of ${this.queue} was not started`);
    await this.channel.waitForConnect();
  }

  /** Stops taking deliveries, waits (bounded) for the ones in flight to settle, then closes the channel. */
  async stop(timeoutMs: number): Promise<void> {
    if (!this.channel) return;
    this.consuming = false;
    this.channelReady = false;
    for (const unwatch of this.unwatch.splice(0)) unwatch();
    await this.registration;
    this.registered = false;
    await this.channel.cancelAll().catch(() => undefined);
    await settleWithin([...this.inFlight], timeoutMs);
    this.acks.flush();
    if (this.inFlight.size > 0) {
      this.logger.warn({ event: 'consumer.stop_timeout', queue: this.queue, inFlight: this.inFlight.size });
    }
    await this.channel.close().catch(() => undefined);
    this.channel = undefined;
  }

  ack(delivery: Delivery): void {
    if (!this.channel) return;
    if (delivery.generation !== this.generation) {
      const { context } = delivery;
      this.logger.warn({
        event: 'message.ack_skipped_channel_replaced',
        queue: this.queue,
        messageId: context.messageId,
        type: context.messageType,
        correlationId: context.correlationId,
        attempt: context.attempt,
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

  async requeue(delivery: Delivery): Promise<void> {
    const channel = this.channel;
    // A pause, so that a broker refusing the copies is not hammered by the same delivery.
    await new Promise((resolve) => setTimeout(resolve, REQUEUE_PAUSE_MS));
    if (channel && delivery.generation === this.generation && this.channel === channel) {
      this.acks.release(delivery.raw);
      // One basic.nack with requeue: from RabbitMQ 4.3 it does not count against the message (broker-semantics.ts).
      channel.nack(delivery.raw, GIVE_BACK.multiple, GIVE_BACK.requeue);
    }
  }

  private onDelivery(raw: ConsumeMessage): void {
    this.deps.instrumentation.consumed();
    this.acks.received(raw);
    // Which counter headers of this queue's deliveries can be believed (owned-headers.ts): its queue type, the delay
    // exchanges, and what this version of the broker writes.
    this.trust ??= headerTrustFor(this.deps.options.queueType, this.deps.topology.names, this.deps.connection.semantics);
    const context = new MessageContext(raw, this.queue, this.handler.name, this.trust);
    const delivery = new Delivery(raw, this.handler, context, this, this.generation);
    let run: void | Promise<void>;
    try {
      run = this.pipeline(delivery);
    } catch (error) {
      // The outcome step settles every failure; reaching here is a bug in a step outside it. Not lost: given back.
      this.logger.error({ event: 'consumer.settle_failed', queue: this.queue, reason: errorMessage(error) });
      void this.requeue(delivery);
      return;
    }
    if (!(run instanceof Promise)) return;
    const task: Promise<void> = run.then(
      () => {
        this.inFlight.delete(task);
      },
      (error: unknown) => {
        this.inFlight.delete(task);
        this.logger.error({ event: 'consumer.settle_failed', queue: this.queue, reason: errorMessage(error) });
      },
    );
    this.inFlight.add(task);
  }

  private newAckBatcher(): AckBatcher {
    return new AckBatcher({ ack: (message, allUpTo) => this.channel?.ack(message, allUpTo) });
  }
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
