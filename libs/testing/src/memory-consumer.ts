// A handler's consumer on the in-memory broker: takes its queue's deliveries (at most `prefetch` at a time, as the
// broker would hand them out), runs each through the handler's own consume pipeline, and does the channel work the
// outcome step asks for: acks, retry and dead-letter copies, fault events, a delivery given back.
import type { ConsumeMessage, Options } from 'amqplib';
import {
  Delivery,
  MessageContext,
  MessageHeaders,
  type ConsumePipelineRun,
  type DelayScheduler,
  type DeliveryChannel,
  type HandlerConsumer,
  type HandlerDefinition,
  type HeaderTrust,
} from '@app/messaging';
import type { DeliveryJournal, HandledDelivery } from './delivery-journal';
import type { MemoryBroker, MemoryQueue } from './memory-broker';

/** As the broker consumer: a delivery whose copy could not be published goes back to its queue after this pause. */
const GIVE_BACK_PAUSE_MS = 1000;

export class MemoryConsumer implements HandlerConsumer, MemoryQueue {
  private readonly waiting: ConsumeMessage[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private running = false;

  constructor(
    readonly handler: HandlerDefinition,
    private readonly pipeline: ConsumePipelineRun,
    private readonly broker: MemoryBroker,
    private readonly trust: HeaderTrust,
    private readonly journal: DeliveryJournal,
    private readonly delays: DelayScheduler,
  ) {}

  get queue(): string {
    return this.handler.queue;
  }

  get bindingKey(): string {
    return this.handler.messageClass.messageType;
  }

  get isRunning(): boolean {
    return this.running;
  }

  get waitingFor(): string[] {
    return [];
  }

  async start(): Promise<void> {
    // Chosen as the broker consumer chooses it (the ladder: the in-memory broker is a RabbitMQ 4.3), before any retry.
    await this.delays.mechanism();
    this.running = true;
    this.broker.bind(this);
  }

  waitUntilReady(): Promise<void> {
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.broker.unbind(this.queue);
    await Promise.allSettled([...this.inFlight]);
  }

  enqueue(raw: ConsumeMessage): void {
    this.waiting.push(raw);
    this.pump();
  }

  private pump(): void {
    // An ordered handler takes one delivery at a time: the next of its key waits for the one before.
    const limit = this.handler.ordered ? 1 : Math.max(1, this.handler.prefetch);
    while (this.running && this.inFlight.size < limit && this.waiting.length > 0) this.run(this.waiting.shift()!);
  }

  private run(raw: ConsumeMessage): void {
    const context = new MessageContext(raw, this.queue, this.handler.name, this.trust);
    const record = this.journal.add({
      queue: this.queue,
      handler: this.handler.name,
      messageType: context.messageType,
      messageId: context.messageId,
      correlationId: context.correlationId,
      causationId: context.causationId,
      attempt: context.attempt,
      message: undefined,
      body: undefined,
      headers: context.headers,
      outcome: 'running',
      receivedAt: this.broker.clock.now,
    });
    const delivery = new Delivery(raw, this.handler, context, new RecordingChannel(record, this.broker, this.queue), 0);
    const task = (async () => {
      try {
        await this.pipeline(delivery);
      } finally {
        record.message = delivery.message;
        record.body = delivery.body;
        if (record.outcome === 'running' && delivery.duplicate) record.outcome = 'duplicate';
      }
    })().finally(() => {
      this.inFlight.delete(task);
      this.pump();
    });
    this.inFlight.add(task);
    this.broker.track(task);
  }
}

/** The channel of one delivery: what the outcome step does with it lands in the delivery's record. */
class RecordingChannel implements DeliveryChannel {
  private copied: 'retry' | 'dead-letter' | undefined;

  constructor(
    private readonly record: HandledDelivery,
    private readonly broker: MemoryBroker,
    private readonly queue: string,
  ) {}

  ack(delivery: Delivery): void {
    // A retry's outcome was written with its copy.
    if (this.copied === 'dead-letter') this.record.outcome = 'dead-lettered';
    else if (!this.copied) this.record.outcome = delivery.duplicate ? 'duplicate' : 'acked';
  }

  publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish): Promise<void> {
    const names = this.broker.topologyNames;
    const headers: Record<string, unknown> = (options.headers as Record<string, unknown> | undefined) ?? {};
    if (exchange === names.deadLetterExchange) {
      this.copied = 'dead-letter';
      this.record.errorType = String(headers[MessageHeaders.errorType]);
      this.record.errorMessage = String(headers[MessageHeaders.errorMessage]);
    } else if (exchange === names.delayEntryExchange || exchange === names.delayedMessageExchange) {
      this.copied = 'retry';
      this.broker.publish(exchange, routingKey, content, options);
      this.record.retryDelayMs = this.broker.delayed.at(-1)?.delayMs;
      this.record.outcome = Number(headers[MessageHeaders.attempts]) === this.record.attempt ? 'retried' : 'deferred';
      return Promise.resolve();
    }
    this.broker.publish(exchange, routingKey, content, options);
    return Promise.resolve();
  }

  requeue(delivery: Delivery): Promise<void> {
    this.record.outcome = 'given-back';
    // After the pause the broker consumer makes, so that a copy that keeps failing does not spin.
    this.broker.redeliver(this.queue, delivery.raw, GIVE_BACK_PAUSE_MS);
    return Promise.resolve();
  }
}
