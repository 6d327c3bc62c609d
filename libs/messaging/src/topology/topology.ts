// Declares every broker object the library relies on: the events exchange, handler queues and their dead-letter
// queues, the delay ladder, the plugin's delayed-message exchange. Runs on every (re)connect of a channel, so it must
// be idempotent.
import { Injectable } from '@nestjs/common';
import type { Channel } from 'amqp-connection-manager';
import type { QueueType, QuorumOptions } from '../options/messaging-options';
import type { DelayMechanism } from '../retry/delay-route';
import { DELAY_LEVELS, MessageHeaders, TopologyNames, delayDeliveryPattern, delayLevelPattern, partitionBuckets } from './topology-names';

export interface HandlerQueueSpec {
  queue: string;
  messageType: string;
  queueType: QueueType;
  /** Broker-side redelivery limit (quorum queues): past it the broker itself dead-letters the message. */
  deliveryLimit: number;
  /** Replicas and leader placement of a quorum queue (the service's quorum option). */
  quorum?: QuorumOptions;
}

/** An ordered handler's queue: `partitions` queues with a single active consumer each, fed by ordering bucket. */
export interface PartitionedQueueSpec extends HandlerQueueSpec {
  partitions: number;
}

/** The declaring side of a channel: amqplib's, or amqp-connection-manager's (the same calls). */
type DeclaringChannel = Pick<Channel, 'assertExchange' | 'assertQueue' | 'bindQueue' | 'bindExchange'>;

@Injectable()
export class Topology {
  constructor(readonly names: TopologyNames) {}

  async declareEventsExchange(channel: DeclaringChannel): Promise<void> {
    await channel.assertExchange(this.names.eventsExchange, 'topic', { durable: true });
  }

  /**
   * The handler's queue bound by message type, its dead-letter queue, and its binding on the delay delivery exchange.
   * A quorum queue dead-letters at least once, and hands a message that crashed its consumer too often to the DLQ.
   */
  async declareHandlerQueue(channel: DeclaringChannel, spec: HandlerQueueSpec): Promise<void> {
    const { names } = this;
    await this.declareDeadLetters(channel, spec.queue);
    await channel.assertQueue(spec.queue, { durable: true, arguments: this.handlerQueueArguments(spec) });
    await channel.bindQueue(spec.queue, names.eventsExchange, spec.messageType);
    await this.declareDelayDelivery(channel);
    await channel.bindQueue(spec.queue, names.delayDeliveryExchange, delayDeliveryPattern(spec.queue));
  }

  /**
   * An ordered handler's partitions. The events exchange hands the handler's message type to a headers exchange of
   * its own, which routes each message by its ordering-bucket header to the partition that takes that bucket; a message
   * without one goes through the alternate exchange to partition 0. Each partition has a single active consumer, so
   * whatever the number of instances, one handles it at a time. No delay bindings: ordered handlers retry in place.
   */
  async declarePartitionedQueues(channel: DeclaringChannel, spec: PartitionedQueueSpec): Promise<void> {
    const { names } = this;
    await this.declareDeadLetters(channel, spec.queue);
    const partitionExchange = names.partitionExchange(spec.queue);
    const unkeyedExchange = names.unkeyedExchange(spec.queue);
    await channel.assertExchange(unkeyedExchange, 'fanout', { durable: true });
    await channel.assertExchange(partitionExchange, 'headers', { durable: true, arguments: { 'alternate-exchange': unkeyedExchange } });
    await channel.bindExchange(partitionExchange, names.eventsExchange, spec.messageType);
    for (let index = 0; index < spec.partitions; index++) {
      const queue = await this.declarePartitionQueue(channel, spec, index);
      for (const bucket of partitionBuckets(index, spec.partitions)) {
        await channel.bindQueue(queue, partitionExchange, '', { 'x-match': 'all', [MessageHeaders.orderingBucket]: String(bucket) });
      }
      if (index === 0) await channel.bindQueue(queue, unkeyedExchange, '');
    }
  }

  /** One partition queue of an ordered handler (declared again by its own channel before it consumes). */
  async declarePartitionQueue(channel: Pick<DeclaringChannel, 'assertQueue'>, spec: HandlerQueueSpec, index: number): Promise<string> {
    const queue = this.names.partitionQueue(spec.queue, index);
    const args = { ...this.handlerQueueArguments(spec), 'x-single-active-consumer': true };
    await channel.assertQueue(queue, { durable: true, arguments: args });
    return queue;
  }

  /**
   * The queue scheduled messages wait in between their hops through the delay ladder (or the plugin's exchange): a
   * quorum queue bound on the delay delivery exchange like a handler's queue, with no dead-letter queue of its own
   * (its consumer only forwards). `mechanism` adds the plugin's binding when the plugin is in use.
   */
  async declareScheduledQueue(channel: DeclaringChannel, queue: string, mechanism: DelayMechanism): Promise<void> {
    const { names } = this;
    await this.declareEventsExchange(channel);
    await channel.assertQueue(queue, {
      durable: true,
      arguments: { 'x-queue-type': 'quorum', 'x-overflow': 'reject-publish' },
    });
    await this.declareDelayDelivery(channel);
    await channel.bindQueue(queue, names.delayDeliveryExchange, delayDeliveryPattern(queue));
    await this.declareDelaysFor(channel, queue, mechanism);
  }

  /**
   * The delay ladder: level L is a topic exchange and a queue whose messages live 2^L seconds and then fall to level
   * L-1 (level 0 falls to the delivery exchange). A routing key whose word for L is 1 waits in L's queue; one whose
   * word is 0 passes straight down through an exchange-to-exchange binding.
   *
   * The ladder is shared by every service of a vhost, so its queues do not follow a service's queueType: they are
   * always quorum queues (dead-lettering at least once), whatever each service uses for its own queues.
   */
  async declareDelayLadder(channel: DeclaringChannel): Promise<void> {
    const queueType: QueueType = 'quorum';
    const { names } = this;
    await this.declareDelayDelivery(channel);
    for (let level = 0; level < DELAY_LEVELS; level++) {
      const exchange = names.delayLevelExchange(level);
      const queue = names.delayLevelQueue(level);
      const below = level === 0 ? names.delayDeliveryExchange : names.delayLevelExchange(level - 1);
      await channel.assertExchange(exchange, 'topic', { durable: true });
      const args: Record<string, unknown> = {
        'x-queue-type': queueType,
        'x-message-ttl': 2 ** level * 1000,
        'x-dead-letter-exchange': below,
      };
      if (queueType === 'quorum') {
        args['x-dead-letter-strategy'] = 'at-least-once';
        args['x-overflow'] = 'reject-publish';
      }
      await channel.assertQueue(queue, { durable: true, arguments: args });
      await channel.bindQueue(queue, exchange, delayLevelPattern(level, '1'));
      await channel.bindExchange(below, exchange, delayLevelPattern(level, '0'));
    }
  }

  /** What delayed redelivery to `queue` needs with `mechanism`: the ladder, or the plugin's exchange bound to the queue. */
  async declareDelaysFor(channel: DeclaringChannel, queue: string, mechanism: DelayMechanism): Promise<void> {
    if (mechanism === 'ladder') {
      await this.declareDelayLadder(channel);
      return;
    }
    await this.declareDelayedMessageExchange(channel);
    await channel.bindQueue(queue, this.names.delayedMessageExchange, queue);
  }

  /** The x-delayed-message exchange (rabbitmq_delayed_message_exchange plugin); the broker refuses it without the plugin. */
  async declareDelayedMessageExchange(channel: Pick<DeclaringChannel, 'assertExchange'>): Promise<void> {
    await channel.assertExchange(this.names.delayedMessageExchange, 'x-delayed-message', {
      durable: true,
      arguments: { 'x-delayed-type': 'direct' },
    });
  }

  /** The events exchange, and the handler's dead-letter queue on the dead-letter exchange. */
  private async declareDeadLetters(channel: DeclaringChannel, queue: string): Promise<void> {
    const { names } = this;
    const deadLetterQueue = names.deadLetterQueue(queue);
    await this.declareEventsExchange(channel);
    await channel.assertExchange(names.deadLetterExchange, 'direct', { durable: true });
    // Always classic: browsing a dead-letter queue returns messages to it, which a quorum queue would count toward its
    // delivery limit (and past it, drop the message).
    await channel.assertQueue(deadLetterQueue, { durable: true, arguments: { 'x-queue-type': 'classic' } });
    await channel.bindQueue(deadLetterQueue, names.deadLetterExchange, deadLetterQueue);
  }

  /** A handler queue's arguments: its type, its dead letters, and for quorum queues their limits and placement. */
  private handlerQueueArguments(spec: HandlerQueueSpec): Record<string, unknown> {
    const args: Record<string, unknown> = {
      'x-queue-type': spec.queueType,
      'x-dead-letter-exchange': this.names.deadLetterExchange,
      'x-dead-letter-routing-key': this.names.deadLetterQueue(spec.queue),
    };
    if (spec.queueType === 'quorum') {
      args['x-delivery-limit'] = spec.deliveryLimit;
      args['x-dead-letter-strategy'] = 'at-least-once';
      args['x-overflow'] = 'reject-publish';
      if (spec.quorum?.initialGroupSize !== undefined) args['x-quorum-initial-group-size'] = spec.quorum.initialGroupSize;
      if (spec.quorum?.leaderLocator !== undefined) args['x-queue-leader-locator'] = spec.quorum.leaderLocator;
    }
    return args;
  }

  /**
   * The delivery exchange hands each delayed message to its queue. One whose queue is gone goes to its alternate
   * exchange and waits, visible, in `delay.unroutable`: unroutable dead letters would otherwise pile up inside a quorum
   * level queue's dead-letter worker and, past its 32 in flight, stop that level for every service.
   */
  private async declareDelayDelivery(channel: DeclaringChannel): Promise<void> {
    const { names } = this;
    await channel.assertExchange(names.delayUnroutableExchange, 'fanout', { durable: true });
    await channel.assertQueue(names.delayUnroutableQueue, { durable: true, arguments: { 'x-queue-type': 'classic' } });
    await channel.bindQueue(names.delayUnroutableQueue, names.delayUnroutableExchange, '');
    await channel.assertExchange(names.delayDeliveryExchange, 'topic', {
      durable: true,
      arguments: { 'alternate-exchange': names.delayUnroutableExchange },
    });
  }
}
