// Consumes one handler's queue: runs each delivery through the consume pipeline and settles it as decided.
import { Logger } from '@nestjs/common';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { ConsumeMessage, Options } from 'amqplib';
import type { ErrorClassifier } from '../errors/classify-error';
import type { AmqpConnection } from '../connection/amqp-connection';
import { runWithCorrelation } from '../correlation/correlation-context';
import { deadLetterHeaders, errorMessage, retryHeaders } from '../dead-letter/dead-letter-headers';
import { faultOf, type Fault } from '../dead-letter/fault';
import type { MessageClass } from '../message/message-class';
import type { ResolvedMessagingOptions } from '../options/messaging-options';
import { buildOutgoingMessage } from '../publishing/outgoing-message';
import type { DelayInfrastructure } from '../retry/delay-infrastructure';
import type { Topology } from '../topology/topology';
import { MessageHeaders } from '../topology/topology-names';
import type { ConsumerMetrics, MessagingMetrics } from '../telemetry/messaging-metrics';
import { recordSpanError, traceConsume } from '../telemetry/message-tracing';
import { AckBatcher } from './ack-batcher';
import { decodeBody } from './decode-body';
import { isDuplicate, MessageContext } from './message-context';
import { assertKnownSchemaVersion } from './schema-version';
import { ACK, decideOutcome, type Outcome } from './outcome';

const SETTLE_RETRY_PAUSE_MS = 1000;

export interface HandlerDefinition {
  messageClass: MessageClass;
  queue: string;
  prefetch: number;
  retry: ResolvedMessagingOptions['retry'];
  /** Handler rules first, then the module's; the library's own rules come last (see classifyError). */
  classifiers: ErrorClassifier[];
  /** `Class.method`, for logs and the x-handler header. */
  name: string;
  /** Calls the handler (through Nest's context when it has guards, interceptors, pipes or filters); may return a promise. */
  invoke: (body: unknown, context: MessageContext) => unknown;
}

export interface ConsumerDependencies {
  connection: AmqpConnection;
  topology: Topology;
  delays: DelayInfrastructure;
  options: ResolvedMessagingOptions;
  metrics: MessagingMetrics;
}

export class MessageConsumer {
  private readonly logger = new Logger('Messaging');
  private channel?: ChannelWrapper;
  /** Bumped on every (re)connect: a delivery from an older channel cannot be acked on the new one. */
  private generation = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private consuming = false;
  /** The current channel finished its setup and registered the consumer (false again while a new one sets up). */
  private channelReady = false;

  private readonly metrics: ConsumerMetrics;
  /** Acks of the current channel (a new one per channel, like the generation). */
  private acks = this.newAckBatcher();

  constructor(
    readonly definition: HandlerDefinition,
    private readonly deps: ConsumerDependencies,
  ) {
    this.metrics = deps.metrics.forConsumer(definition.queue, definition.messageClass.messageType);
  }

  get queue(): string {
    return this.definition.queue;
  }

  /** True while the consumer is registered on an open channel whose topology is declared. */
  get isRunning(): boolean {
    return this.consuming && this.channelReady && this.deps.connection.isConnected();
  }

  async start(): Promise<void> {
    const { queue, messageClass, prefetch } = this.definition;
    const { topology, options, delays } = this.deps;
    this.channel = this.deps.connection.createChannel({
      name: `consumer:${queue}`,
      // Retry and dead-letter copies wait for a connection no longer than a publish does.
      publishTimeout: options.publishTimeoutMs,
      setup: async (channel: Parameters<Topology['declareEventsExchange']>[0]) => {
        this.generation++;
        this.channelReady = false;
        this.acks.discard();
        this.acks = this.newAckBatcher();
        await topology.declareHandlerQueue(channel, {
          queue,
          messageType: messageClass.messageType,
          queueType: options.queueType,
          // The broker's own limit is a backstop behind the library's guard, which dead-letters with reasons first.
          deliveryLimit: options.maxRedeliveries + 2,
        });
        await delays.declareFor(channel, queue);
      },
    });
    this.channel.on('error', (error: Error) => {
      if (this.consuming) this.logger.error({ event: 'consumer.channel_error', queue, reason: error.message });
    });
    this.channel.on('connect', () => (this.channelReady = true));
    await this.channel.consume(queue, (raw) => this.onDelivery(raw), { prefetch });
    this.consuming = true;
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
    await this.channel.cancelAll().catch(() => undefined);
    await settleWithin([...this.inFlight], timeoutMs);
    this.acks.flush();
    if (this.inFlight.size > 0) {
      this.logger.warn({ event: 'consumer.stop_timeout', queue: this.queue, inFlight: this.inFlight.size });
    }
    await this.channel.close().catch(() => undefined);
    this.channel = undefined;
  }

  private onDelivery(raw: ConsumeMessage): void {
    const generation = this.generation;
    const started = performance.now();
    this.metrics.consumed();
    this.acks.received(raw);
    const context = new MessageContext(raw, this.definition.queue, this.definition.name);
    const task: Promise<void> = traceConsume(raw, this.queue, context.correlationId, () => this.handle(raw, context, generation, started)).then(
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

  private async handle(raw: ConsumeMessage, context: MessageContext, generation: number, started: number): Promise<void> {
    const outcome = await this.process(raw, context);
    if (outcome.action === 'ack') this.ack(raw, generation, context, true);
    else await this.settle(raw, generation, outcome, context);
    const measured = outcome.action === 'ack' && isDuplicate(context) ? 'duplicate' : outcome.action;
    this.metrics.outcome(measured, (performance.now() - started) / 1000, outcome.action === 'dead-letter' ? outcome.reason : undefined);
  }

  /** decode (body, schema version) -> envelope -> (guards, interceptors, validation pipe, handler, filters) -> outcome. Never throws. */
  private async process(raw: ConsumeMessage, context: MessageContext): Promise<Outcome> {
    const { definition, deps } = this;
    if (context.redeliveries > deps.options.maxRedeliveries) {
      const error = new Error(`Redelivered ${context.redeliveries} times without being settled (consumer crash loop?)`);
      return { action: 'dead-letter', reason: 'redelivery-limit', error };
    }
    try {
      const body = decodeBody(raw, deps.options.maxMessageBytes, definition.messageClass.messageType);
      assertKnownSchemaVersion(context.schemaVersion, definition.messageClass);
      await runWithCorrelation({ correlationId: context.correlationId, causationId: context.messageId }, () =>
        definition.invoke(body, context),
      );
      return ACK;
    } catch (error) {
      recordSpanError(error);
      return decideOutcome(error, context.attempt, { retry: definition.retry, classifiers: definition.classifiers });
    }
  }

  /** Publishes the retry or dead-letter copy of a failed delivery, then acks the delivery. */
  private async settle(raw: ConsumeMessage, generation: number, outcome: Exclude<Outcome, { action: 'ack' }>, context: MessageContext): Promise<void> {
    const channel = this.channel;
    if (!channel) return;
    const fields = this.logFields(context);
    try {
      if (outcome.action === 'retry') {
        const route = this.deps.delays.route(this.queue, outcome.delayMs);
        await channel.publish(route.exchange, route.routingKey, raw.content, copyProperties(raw, { ...retryHeaders(raw, context.attempt), ...route.headers }));
        this.logger.warn({ event: 'message.retry_scheduled', ...fields, delayMs: outcome.delayMs, reason: errorMessage(outcome.error) });
      } else {
        const { names } = this.deps.topology;
        const headers = deadLetterHeaders(raw, { reason: outcome.reason, error: outcome.error, attempt: context.attempt, queue: this.queue, handler: this.definition.name });
        await channel.publish(names.deadLetterExchange, names.deadLetterQueue(this.queue), raw.content, copyProperties(raw, headers));
        this.logger.error({ event: 'message.dead_lettered', ...fields, errorType: outcome.reason, reason: errorMessage(outcome.error) });
        await this.publishFault(channel, raw, context, headers);
      }
    } catch (error) {
      // The copy did not reach the broker: give the delivery back rather than lose it (after a pause, so that a
      // broker refusing the copies is not hammered by the same delivery).
      this.logger.error({ event: 'message.settle_publish_failed', ...fields, reason: errorMessage(error) });
      await new Promise((resolve) => setTimeout(resolve, SETTLE_RETRY_PAUSE_MS));
      if (generation === this.generation && this.channel === channel) {
        this.acks.release(raw);
        channel.nack(raw, false, true);
      }
      return;
    }
    this.ack(raw, generation, context, false);
  }

  /** Acks on the channel the delivery came from; a delivery of a replaced channel is redelivered by the broker. */
  private ack(raw: ConsumeMessage, generation: number, context: MessageContext, handled: boolean): void {
    if (!this.channel) return;
    if (generation !== this.generation) {
      this.logger.warn({ event: 'message.ack_skipped_channel_replaced', ...this.logFields(context) });
      return;
    }
    this.acks.ack(raw);
    // Debug: a line per message at info costs more CPU than the rest of the consume path (see bench/README.md).
    if (handled && !isDuplicate(context)) this.logger.debug({ event: 'message.acked', ...this.logFields(context) });
  }

  private newAckBatcher(): AckBatcher {
    return new AckBatcher({ ack: (message, allUpTo) => this.channel?.ack(message, allUpTo) });
  }

  private logFields(context: MessageContext) {
    return { queue: this.queue, messageId: context.messageId, type: context.messageType, correlationId: context.correlationId, attempt: context.attempt };
  }

  private async publishFault(channel: ChannelWrapper, raw: ConsumeMessage, context: MessageContext, headers: Record<string, unknown>): Promise<void> {
    if (!this.deps.options.publishFaults) return;
    const faultClass = faultOf(this.definition.messageClass);
    const fault: Fault = {
      messageId: context.messageId,
      messageType: this.definition.messageClass.messageType,
      correlationId: context.correlationId,
      queue: this.queue,
      handler: this.definition.name,
      errorType: String(headers[MessageHeaders.errorType]),
      errorMessage: String(headers[MessageHeaders.errorMessage]),
      attempts: context.attempt,
      failedAt: String(headers[MessageHeaders.lastFailedAt]),
      message: parseObject(raw.content),
    };
    const outgoing = buildOutgoingMessage(faultClass, fault, this.deps.options.exchange, this.deps.options.serviceName, {
      correlationId: context.correlationId,
      causationId: context.messageId,
    });
    try {
      await channel.publish(outgoing.exchange, outgoing.routingKey, outgoing.content, outgoing.properties);
    } catch (error) {
      // The dead letter is safe in its queue; a lost fault event is reported, not retried forever.
      this.logger.error({ event: 'fault.publish_failed', queue: this.queue, messageId: context.messageId, reason: errorMessage(error) });
    }
  }
}

/**
 * Properties for a copy of a delivery (retry, dead letter): identity and content kept, persistent. Not `expiration`
 * (a dead letter must not expire, a delay must not be cut short) and not `userId` (the broker checks it against the
 * consumer's own login and would refuse the copy).
 */
function copyProperties(raw: ConsumeMessage, headers: Record<string, unknown>): Options.Publish {
  const { messageId, type, timestamp, contentType, contentEncoding, correlationId, appId, priority, replyTo } = raw.properties;
  return { messageId, type, timestamp, contentType, contentEncoding, correlationId, appId, priority, replyTo, headers, persistent: true };
}

function parseObject(content: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(content.toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
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
