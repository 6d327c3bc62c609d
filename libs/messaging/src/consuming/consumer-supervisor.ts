// Starts a consumer for each handler the application declares (each pausing while a dependency of its handler is
// down), drains them at shutdown, and answers for them: readiness, the queues they consume and their depths.
import { Inject, Injectable, Logger, Optional, type OnApplicationBootstrap } from '@nestjs/common';
import { AmqpConnection } from '../connection/amqp-connection';
import { Dependencies } from '../dependencies/dependencies';
import { HandlerDiscovery } from '../handlers/handler-discovery';
import { NO_INSTRUMENTATION, type MessagingInstrumentation } from '../instrumentation/messaging-instrumentation';
import { MESSAGING_INSTRUMENTATION, MESSAGING_OPTIONS } from '../messaging.constants';
import type { ResolvedMessagingOptions } from '../options/messaging-options';
import { DelayScheduler } from '../retry/delay-scheduler';
import { Topology } from '../topology/topology';
import { ConsumePipeline } from './consume-pipeline';
import { MessageConsumer } from './message-consumer';

export interface QueueDepth {
  queue: string;
  messages: number;
  deadLetters: number;
}

@Injectable()
export class ConsumerSupervisor implements OnApplicationBootstrap {
  private readonly logger = new Logger('Messaging');
  private readonly consumers: MessageConsumer[] = [];
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
    // Discovered (and their pipelines composed) even without consuming, so that a wrong declaration fails the start.
    const handlers = this.discovery.discover();
    const pipelines = handlers.map((handler) => this.pipeline.compose(handler));
    if (!this.options.consume) return;
    this.instrumentation.setSampler('queueDepths', () => this.queueDepths());
    for (const [index, handler] of handlers.entries()) {
      const consumer = new MessageConsumer(handler, pipelines[index], {
        connection: this.connection,
        topology: this.topology,
        delays: this.delays,
        options: this.options,
        instrumentation: this.instrumentation.forConsumer(handler.queue, handler.messageClass.messageType),
        dependencies: this.dependencies.forHandler(handler),
      });
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
      for (const queue of this.queues) {
        const { messageCount } = await channel.checkQueue(queue);
        const dead = await channel.checkQueue(this.topology.names.deadLetterQueue(queue));
        depths.push({ queue, messages: messageCount, deadLetters: dead.messageCount });
      }
      return depths;
    });
  }
}
