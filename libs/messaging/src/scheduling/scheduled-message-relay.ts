// Consumes the service's scheduled queue, where scheduled messages come back from the delay ladder: one that was
// cancelled is dropped; one that came back early (its delay was longer than one hop) waits again for what is left;
// one that is due is published, with its own id, where it was meant to go. Each is acked only after what it became
// is confirmed, so a crash in between sends it again (the same id: an @Idempotent handler takes it once).
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { Channel, ConsumeMessage } from 'amqplib';
import { AmqpConnection } from '../connection/amqp-connection';
import { GIVE_BACK } from '../connection/broker-semantics';
import { deliveredProperties } from '../consuming/delivered-properties';
import { errorMessage } from '../dead-letter/dead-letter-headers';
import { ShutdownSequence } from '../lifecycle/shutdown-sequence';
import { MESSAGING_OPTIONS } from '../messaging.constants';
import type { ResolvedMessagingOptions } from '../options/messaging-options';
import { MessagePublisher } from '../publishing/message-publisher';
import type { OutgoingMessage } from '../publishing/outgoing-message';
import { DelayScheduler } from '../retry/delay-scheduler';
import { Topology } from '../topology/topology';
import { BROKER_DEATH_HEADERS, MessageHeaders } from '../topology/topology-names';
import { MessageScheduler } from './message-scheduler';
import { ScheduleCancellations } from './schedule-cancellations';
import { SCHEDULING_OPTIONS } from './scheduling.constants';
import type { ResolvedSchedulingOptions } from './scheduling-options';

/** How long a scheduled message that could not be forwarded waits before it goes back to the queue. */
const GIVE_BACK_PAUSE_MS = 1000;

/** What became of a scheduled message that came back from the ladder. */
export type ScheduledOutcome = 'cancelled' | 'waiting' | 'sent';

@Injectable()
export class ScheduledMessageRelay implements OnApplicationBootstrap {
  private readonly logger = new Logger('Scheduling');
  private channel?: ChannelWrapper;
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly messaging: ResolvedMessagingOptions,
    @Inject(SCHEDULING_OPTIONS) private readonly options: ResolvedSchedulingOptions,
    private readonly connection: AmqpConnection,
    private readonly topology: Topology,
    private readonly delays: DelayScheduler,
    private readonly publisher: MessagePublisher,
    private readonly scheduler: MessageScheduler,
    private readonly cancellations: ScheduleCancellations,
    shutdown: ShutdownSequence,
  ) {
    // After the handlers have drained: what they scheduled is in the ladder or the outbox already.
    shutdown.afterConsumersDrain(() => this.stop());
  }

  get queue(): string {
    return this.topology.names.scheduledQueue;
  }

  onApplicationBootstrap(): void {
    if (!this.messaging.consume) return;
    const queue = this.queue;
    this.channel = this.connection.createChannel({
      name: 'scheduled',
      setup: async (channel: Channel) => {
        await this.topology.declareScheduledQueue(channel, queue, await this.delays.mechanism());
        await channel.prefetch(this.options.prefetch);
        await channel.consume(queue, (raw) => {
          if (raw) this.track(this.onDelivery(raw));
        });
      },
    });
    this.channel.on('error', (error: Error) => {
      if (!this.stopped) this.logger.error({ event: 'schedule.channel_error', queue, reason: error.message });
    });
  }

  /** Resolves once the scheduled queue is declared and consumed. */
  async waitUntilReady(): Promise<void> {
    await this.channel?.waitForConnect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.channel?.cancelAll().catch(() => undefined);
    await Promise.allSettled([...this.inFlight]);
    await this.channel?.close().catch(() => undefined);
    this.channel = undefined;
  }

  /** Decides and carries out what a scheduled message that came back becomes; exported for its spec. */
  async forward(raw: ConsumeMessage, now = Date.now()): Promise<ScheduledOutcome> {
    const headers = raw.properties.headers ?? {};
    const token = stringHeader(headers[MessageHeaders.scheduleToken]);
    if (token && (await this.cancellations.current.isCancelled(token))) return 'cancelled';
    const dueAt = Date.parse(stringHeader(headers[MessageHeaders.scheduledFor]) ?? '');
    const outgoing = this.asOutgoing(raw);
    if (Number.isFinite(dueAt) && dueAt > now) {
      await this.publisher.send(await this.scheduler.hop(outgoing, dueAt, now));
      return 'waiting';
    }
    await this.publisher.send(this.destinationOf(outgoing));
    return 'sent';
  }

  private async onDelivery(raw: ConsumeMessage): Promise<void> {
    const channel = this.channel;
    const fields = {
      messageId: raw.properties.messageId as unknown,
      type: raw.properties.type as unknown,
      scheduledFor: raw.properties.headers?.[MessageHeaders.scheduledFor] as unknown,
    };
    try {
      const outcome = await this.forward(raw);
      channel?.ack(raw);
      if (outcome === 'cancelled') {
        this.logger.log({ event: 'schedule.cancelled_dropped', ...fields });
        await this.forgetLater(raw);
      } else if (outcome === 'sent') this.logger.debug({ event: 'schedule.sent', ...fields, lateMs: lateness(fields.scheduledFor) });
      else this.logger.debug({ event: 'schedule.waiting_again', ...fields });
    } catch (error) {
      this.logger.warn({ event: 'schedule.forward_failed', ...fields, reason: errorMessage(error) });
      await new Promise((resolve) => setTimeout(resolve, GIVE_BACK_PAUSE_MS));
      if (this.channel === channel) channel?.nack(raw, GIVE_BACK.multiple, GIVE_BACK.requeue);
    }
  }

  /** Tells the store the cancellation has done its work (it may delete it a day later); failing that only keeps it longer. */
  private async forgetLater(raw: ConsumeMessage): Promise<void> {
    const token = stringHeader(raw.properties.headers?.[MessageHeaders.scheduleToken]);
    const store = this.cancellations.current;
    if (!token || !store.dropped) return;
    await store
      .dropped(token)
      .catch((error: unknown) => this.logger.warn({ event: 'schedule.cancellation_not_marked', reason: errorMessage(error) }));
  }

  private track(task: Promise<void>): void {
    this.inFlight.add(task);
    void task.finally(() => this.inFlight.delete(task));
  }

  private asOutgoing(raw: ConsumeMessage): OutgoingMessage {
    const { messageId, type, timestamp, contentType, contentEncoding, correlationId, appId, priority } = deliveredProperties(raw);
    const headers: Record<string, unknown> = { ...(raw.properties.headers ?? {}) };
    // The broker's records of the hops (x-death and the like) are not part of the message.
    for (const key of BROKER_DEATH_HEADERS) delete headers[key];
    return {
      exchange: raw.fields.exchange,
      routingKey: raw.fields.routingKey,
      content: raw.content,
      properties: {
        messageId: String(messageId),
        type: String(type),
        timestamp,
        contentType,
        contentEncoding,
        correlationId,
        appId,
        priority,
        headers,
        persistent: true,
      },
    };
  }

  /** The message as it was meant to go: to its exchange and routing key, without the scheduling headers' delay. */
  private destinationOf(outgoing: OutgoingMessage): OutgoingMessage {
    const headers = { ...outgoing.properties.headers };
    const exchange = stringHeader(headers[MessageHeaders.scheduledExchange]) ?? this.messaging.exchange;
    const routingKey = stringHeader(headers[MessageHeaders.scheduledRoutingKey]) ?? outgoing.properties.type;
    delete headers[MessageHeaders.delay];
    delete headers[MessageHeaders.scheduledExchange];
    delete headers[MessageHeaders.scheduledRoutingKey];
    return { ...outgoing, exchange, routingKey, properties: { ...outgoing.properties, headers } };
  }
}

function stringHeader(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}

function lateness(scheduledFor: unknown): number | undefined {
  const due = Date.parse(stringHeader(scheduledFor) ?? '');
  return Number.isFinite(due) ? Date.now() - due : undefined;
}
