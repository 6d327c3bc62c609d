// Starts a consumer for each handler the application declares (each pausing while a dependency of its handler is
// down), drains them at shutdown, and answers for them: readiness, the queues they consume and their depths. Handlers
// of the Nest microservices transport join through add(), before or after the application's start.
import { Inject, Injectable, Logger, Optional, type OnApplicationBootstrap } from '@nestjs/common';
import { AmqpConnection } from '../connection/amqp-connection';
import { Dependencies } from '../dependencies/dependencies';
import type { HandlerDefinition } from '../handlers/handler-definition';
import { assertOneHandlerPerQueue, HandlerDiscovery } from '../handlers/handler-discovery';
import { NO_INSTRUMENTATION, type MessagingInstrumentation } from '../instrumentation/messaging-instrumentation';
import { MESSAGING_INSTRUMENTATION, MESSAGING_OPTIONS } from '../messaging.constants';
import type { ResolvedMessagingOptions } from '../options/messaging-options';
import { PartitionedConsumer } from '../ordering/partitioned-consumer';
import { DelayScheduler } from '../retry/delay-scheduler';
import { Topology } from '../topology/topology';
import { ConsumePipeline, type ConsumePipelineRun } from './consume-pipeline';
import { MessageConsumer, type ConsumerDependencies } from './message-consumer';

/** What the supervisor asks of a handler's consumer. */
export interface HandlerConsumer {
  readonly queue: string;
  readonly isRunning: boolean;
  readonly waitingFor: string[];
  start(): Promise<void>;
  stop(timeoutMs: number): Promise<void>;
  waitUntilReady(): Promise<void>;
}

/**
 * Makes the consumer of one handler. The default consumes from the broker; the in-memory transport of @app/testing
 * sets its own (useConsumerFactory) before the application starts, so that the same pipelines run without a broker.
 */
export type ConsumerFactory = (handler: HandlerDefinition, pipeline: ConsumePipelineRun, deps: ConsumerDependencies) => HandlerConsumer;

const brokerConsumer: ConsumerFactory = (handler, pipeline, deps) =>
  // An ordered handler's queue is split into partitions shared among the instances (ordering/).
  handler.ordered
    ? new PartitionedConsumer(handler, pipeline, deps, handler.ordered.partitions)
    : new MessageConsumer(handler, pipeline, deps);

export interface QueueDepth {
  queue: string;
  messages: number;
  deadLetters: number;
}

@Injectable()
export class ConsumerSupervisor implements OnApplicationBootstrap {
  private readonly logger = new Logger('Messaging');
  private readonly consumers: HandlerConsumer[] = [];
  private consumerFactory: ConsumerFactory = brokerConsumer;
  /** Every handler it knows: discovered at the start, or added. */
  private readonly handlers: HandlerDefinition[] = [];
  /** Added before the start: they start with the rest. */
  private readonly added: HandlerDefinition[] = [];
  private started = false;
  private readonly instrumentation: MessagingInstrumentation;
  private stopping = false;

  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly options: ResolvedMessagingOptions,
    private readonly discovery: HandlerDiscovery,
    private readonly pipeline: ConsumePipeline,
    private readonly connection: AmqpConnection,
    private readonly topology: Topology,
    private readonly delays: DelayScheduler,
    private readonly dependencies: Dependencies,
    @Optional() @Inject(MESSAGING_INSTRUMENTATION) instrumentation?: MessagingInstrumentation,
  ) {
    this.instrumentation = instrumentation ?? NO_INSTRUMENTATION;
  }

  async onApplicationBootstrap(): Promise<void> {
    const handlers = [...this.discovery.discover(), ...this.added.splice(0)];
    assertOneHandlerPerQueue(handlers);
    this.started = true;
    if (this.options.consume) this.instrumentation.setSampler('queueDepths', () => this.queueDepths());
    await this.start(handlers);
  }

  /**
   * Consumes handlers declared another way than @MessageHandler (the transport's @EventPattern and @MessagePattern
   * methods) like the others: with the application's start, or at once when it has started. Throws
   * MessagingConfigError when one of them takes a queue another handler consumes.
   */
  async add(handlers: readonly HandlerDefinition[]): Promise<void> {
    if (this.stopping) return;
    if (!this.started) {
      assertOneHandlerPerQueue([...this.added, ...handlers]);
      this.added.push(...handlers);
      return;
    }
    assertOneHandlerPerQueue([...this.handlers, ...handlers]);
    await this.start(handlers);
  }

  /** Replaces how consumers are made (the in-memory transport of @app/testing); only before the application starts. */
  useConsumerFactory(factory: ConsumerFactory): void {
    if (this.started) throw new Error('useConsumerFactory must be called before the application starts');
    this.consumerFactory = factory;
  }

  private async start(handlers: readonly HandlerDefinition[]): Promise<void> {
    this.handlers.push(...handlers);
    // Composed even without consuming, so that a wrong declaration fails the start.
    const pipelines = handlers.map((handler) => this.pipeline.compose(handler));
    if (!this.options.consume) return;
    for (const [index, handler] of handlers.entries()) {
      const deps = {
        connection: this.connection,
        topology: this.topology,
        delays: this.delays,
        options: this.options,
        instrumentation: this.instrumentation.forConsumer(handler.queue, handler.messageClass.messageType),
        dependencies: this.dependencies.forHandler(handler),
      };
      const consumer = this.consumerFactory(handler, pipelines[index], deps);
      this.consumers.push(consumer);
      await consumer.start();
      this.logger.log({ event: 'consumer.started', queue: handler.queue, handler: handler.name, type: handler.messageClass.messageType });
    }
  }

  /** Stops taking deliveries and waits (bounded by shutdownTimeoutMs) for the handlers in flight. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.consumers.map((consumer) => consumer.stop(this.options.shutdownTimeoutMs)));
  }

  /**
   * Resolves once every consumer has declared its queues and registered with the broker; rejects after `timeoutMs`.
   * Publishing before this point can miss queues that do not exist yet.
   */
  async waitUntilReady(timeoutMs = 15_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.all(this.consumers.map((consumer) => consumer.waitUntilReady())),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`Consumers not ready within ${timeoutMs} ms (is the broker up?)`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Every consumer is registered on an open channel (false during shutdown). */
  get isConsuming(): boolean {
    return !this.stopping && this.consumers.every((consumer) => consumer.isRunning);
  }

  /** The queues whose consumers are paused, each with the dependencies it waits for. */
  get paused(): Array<{ queue: string; waitingFor: string[] }> {
    return this.consumers
      .map((consumer) => ({ queue: consumer.queue, waitingFor: consumer.waitingFor }))
      .filter((entry) => entry.waitingFor.length > 0);
  }

  /** The handlers consumed so far: those of @MessageHandler, then those added (the transport's patterns). */
  get consumedHandlers(): readonly HandlerDefinition[] {
    return this.handlers;
  }

  get queues(): string[] {
    return this.consumers.map((consumer) => consumer.queue);
  }

  /** The delay mechanism in use, once the first consumer has set up ('ladder' or 'plugin'). */
  get delayMechanism(): string | undefined {
    return this.delays.chosen;
  }

  /** Ready messages in each handler queue and its dead-letter queue (passive checks on a short-lived channel). */
  async queueDepths(): Promise<QueueDepth[]> {
    if (!this.connection.isConnected()) return [];
    return this.connection.withTemporaryChannel(async (channel) => {
      const depths: QueueDepth[] = [];
      for (const consumer of this.consumers) {
        const { queue } = consumer;
        // An ordered handler's messages are in its partitions: their sum.
        let messages = 0;
        for (const physical of consumer instanceof PartitionedConsumer ? consumer.queues : [queue]) {
          messages += (await channel.checkQueue(physical)).messageCount;
        }
        const dead = await channel.checkQueue(this.topology.names.deadLetterQueue(queue));
        depths.push({ queue, messages, deadLetters: dead.messageCount });
      }
      return depths;
    });
  }
}
