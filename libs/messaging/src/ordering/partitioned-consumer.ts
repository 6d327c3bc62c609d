// Consumes an ordered handler's queue across instances: the queue is split into partitions by ordering key, this
// instance holds the partitions the shared assignment gives it among the instances it knows of (partition-membership,
// partition-assignment), and takes or hands over partitions as instances join and leave. Each partition has a single
// active consumer at the broker, so a partition is handled by one instance at a time even while two disagree on who
// holds it; an instance that dies loses its partitions to the next consumer at once.
import { Logger } from '@nestjs/common';
import type { Channel } from 'amqplib';
import type { ConsumePipelineRun } from '../consuming/consume-pipeline';
import type { ConsumerDependencies } from '../consuming/message-consumer';
import { errorMessage } from '../dead-letter/dead-letter-headers';
import type { HandlerDefinition } from '../handlers/handler-definition';
import { clusterTolerantChannel } from '../topology/cluster-tolerant-channel';
import type { PartitionedQueueSpec } from '../topology/topology';
import { OrderedPartition } from './ordered-partition';
import { ownedPartitions } from './partition-assignment';
import { DEFAULT_MEMBERSHIP_TIMING, PartitionMembership, type MembershipTiming } from './partition-membership';

export class PartitionedConsumer {
  private readonly logger = new Logger('Messaging');
  private readonly membership: PartitionMembership;
  private readonly held = new Map<number, OrderedPartition>();
  private readonly spec: PartitionedQueueSpec;
  /** Rebalances, one after the other. */
  private rebalancing: Promise<void> = Promise.resolve();
  private consuming = false;
  private paused = false;
  /** Just started: listening to the others before taking partitions. */
  private listening = true;
  private readonly unwatch: Array<() => void> = [];

  constructor(
    readonly handler: HandlerDefinition,
    private readonly pipeline: ConsumePipelineRun,
    private readonly deps: ConsumerDependencies,
    readonly partitions: number,
    private readonly timing: MembershipTiming = DEFAULT_MEMBERSHIP_TIMING,
  ) {
    const { options, topology } = deps;
    this.spec = {
      queue: handler.queue,
      messageType: handler.messageClass.messageType,
      queueType: options.queueType,
      quorum: options.quorum,
      deliveryLimit: options.maxRedeliveries + 2,
      partitions,
    };
    this.membership = new PartitionMembership(
      deps.connection,
      topology.names.membersExchange(handler.queue),
      (channel: Channel) => topology.declarePartitionedQueues(clusterTolerantChannel(channel, deps.connection), this.spec),
      timing,
    );
  }

  /** The handler's queue name, which names its partitions (`<queue>.p00`...); no queue of this name exists. */
  get queue(): string {
    return this.handler.queue;
  }

  /** Every partition queue of the handler. */
  get queues(): string[] {
    return Array.from({ length: this.partitions }, (_, index) => this.deps.topology.names.partitionQueue(this.queue, index));
  }

  /** The partitions this instance holds now (ascending). */
  get heldPartitions(): number[] {
    return [...this.held.keys()].sort((a, b) => a - b);
  }

  /** The instances sharing the partitions, as this one sees them. */
  get members(): readonly string[] {
    return this.membership.members;
  }

  /** Announcing, and registered on every partition it holds (it may hold none: more instances than partitions). */
  get isRunning(): boolean {
    if (!this.consuming || this.paused || !this.membership.isConnected) return false;
    return [...this.held.values()].every((partition) => partition.isRunning);
  }

  get waitingFor(): string[] {
    return (this.deps.dependencies ?? []).filter((dependency) => !dependency.isUp).map((dependency) => dependency.name);
  }

  async start(): Promise<void> {
    this.consuming = true;
    this.paused = this.waitingFor.length > 0;
    for (const dependency of this.deps.dependencies ?? []) this.unwatch.push(dependency.onChange(() => this.followDependencies()));
    this.unwatch.push(this.membership.onChange(() => this.rebalance()));
    await this.membership.start();
    if (this.paused) {
      this.membership.leave();
      this.logger.warn({ event: 'consumer.paused', queue: this.queue, waitingFor: this.waitingFor });
    }
    // Listen a little before taking partitions, so as not to take (and hand back at once) those of running instances.
    await sleep(this.timing.heartbeatMs * 2);
    this.listening = false;
    this.rebalance();
    await this.rebalancing;
  }

  /** Resolves once the partitions are declared and the partitions this instance holds are registered. */
  async waitUntilReady(): Promise<void> {
    await this.rebalancing;
  }

  /** Hands every partition over (draining each, bounded by `timeoutMs`), after telling the others it leaves. */
  async stop(timeoutMs: number): Promise<void> {
    this.consuming = false;
    for (const unwatch of this.unwatch.splice(0)) unwatch();
    this.membership.leave();
    this.rebalance(timeoutMs);
    await this.rebalancing;
    await this.membership.stop();
  }

  /** While a dependency is down it holds no partition and does not count itself, so that the others take them. */
  private followDependencies(): void {
    const paused = this.waitingFor.length > 0;
    if (paused === this.paused || !this.consuming) return;
    this.paused = paused;
    if (paused) {
      this.logger.warn({ event: 'consumer.paused', queue: this.queue, waitingFor: this.waitingFor });
      this.membership.leave();
    } else {
      this.logger.log({ event: 'consumer.resumed', queue: this.queue });
      this.membership.rejoin();
    }
    this.rebalance();
  }

  /** Takes the partitions the assignment gives this instance now, and hands over those it no longer gives it. */
  private rebalance(releaseTimeoutMs = this.deps.options.shutdownTimeoutMs): void {
    this.rebalancing = this.rebalancing
      .then(async () => {
        const members = this.membership.members;
        const wanted = new Set(
          this.consuming && !this.paused && !this.listening
            ? ownedPartitions(this.membership.self, members, this.queue, this.partitions)
            : [],
        );
        const leaving = [...this.held.entries()].filter(([index]) => !wanted.has(index));
        const coming = [...wanted].filter((index) => !this.held.has(index));
        if (leaving.length === 0 && coming.length === 0) return;
        for (const [index] of leaving) this.held.delete(index);
        await Promise.all(leaving.map(([, partition]) => partition.release(releaseTimeoutMs)));
        for (const index of coming) {
          const partition = new OrderedPartition(
            index,
            this.deps.topology.names.partitionQueue(this.queue, index),
            this.handler,
            this.pipeline,
            this.deps,
            (channel: Channel) => this.deps.topology.declarePartitionQueue(channel, this.spec, index).then(() => undefined),
          );
          this.held.set(index, partition);
          await partition.acquire();
        }
        this.logger.log({
          event: 'consumer.partitions_assigned',
          queue: this.queue,
          partitions: this.heldPartitions,
          released: leaving.map(([index]) => index),
          acquired: coming,
          members: members.length,
        });
      })
      .catch((error: unknown) => this.logger.error({ event: 'consumer.rebalance_failed', queue: this.queue, reason: errorMessage(error) }));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
