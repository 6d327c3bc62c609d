// The requester's side of request/reply: one channel that consumes RabbitMQ's direct reply-to and sends the requests on
// itself (the broker answers only a channel that consumes it), and the requests waiting on it. Each request ends once:
// its reply, its timeout, the channel lost (a dropped connection: its replies can never come), the caller giving up, or
// the client closing; each end removes its entry and its timer, so nothing is kept for a request that has ended.
import { Logger } from '@nestjs/common';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { PublishError } from '@app/messaging-core';
import type { AmqpConnection } from '../connection/amqp-connection';
import { errorMessage } from '../dead-letter/dead-letter-headers';
import type { OutgoingMessage } from '../publishing/outgoing-message';
import { MessageHeaders, type TopologyNames } from '../topology/topology-names';
import { readReply, type ReplyPacket } from './reply-packet';
import { RequestFailedError, RequestTimeoutError } from './request-errors';

/** How a request ended, from the requester's side. */
export type RequestOutcome = { reply: ReplyPacket } | { error: Error };

/** A request on its way: how long it may wait, and whom to tell how it ended. */
export interface PendingRequest {
  readonly timeoutMs: number;
  settle(outcome: RequestOutcome): void;
  /** The caller gave up (unsubscribed) before it was sent: it is not sent. */
  readonly cancelled: boolean;
}

interface Waiting {
  request: PendingRequest;
  channel: ConfirmChannel;
  timer: NodeJS.Timeout;
}

export class ReplyChannel {
  private readonly logger = new Logger('Messaging');
  private wrapper?: ChannelWrapper;
  /** The channel whose reply consumer is registered: requests go out on it, and only while it lives. */
  private current?: ConfirmChannel;
  private connectedOnce = false;
  private closed = false;
  private readonly waiting = new Map<string, Waiting>();

  constructor(
    private readonly connection: AmqpConnection,
    private readonly names: TopologyNames,
    private readonly name: string,
  ) {}

  /** Requests sent and not yet ended. */
  get inFlight(): number {
    return this.waiting.size;
  }

  /**
   * Opens the channel on first use and waits (up to `timeoutMs`) until it has first consumed its replies. Later, during
   * a broker outage, it does not wait: send() fails at once, and works again once the channel is back.
   */
  async ready(timeoutMs: number): Promise<void> {
    if (this.closed) throw new RequestFailedError(`The client ${this.name} is closed`);
    this.wrapper ??= this.open();
    if (this.connectedOnce) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.wrapper.waitForConnect(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new RequestFailedError(`No broker connection within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends `outgoing` as a request whose reply comes back to this channel; resolves once the broker has confirmed it.
   * Its end (reply, timeout, channel lost) is told to `request.settle`; `forget` ends it without telling.
   */
  async send(outgoing: OutgoingMessage, request: PendingRequest): Promise<void> {
    if (request.cancelled) return;
    const channel = this.current;
    if (!channel || this.closed) {
      throw new RequestFailedError(`Not connected to the broker: ${outgoing.properties.type} was not sent`);
    }
    const id = outgoing.properties.messageId;
    const timer = setTimeout(
      () => this.end(id, { error: new RequestTimeoutError(outgoing.properties.type, request.timeoutMs) }),
      request.timeoutMs,
    );
    this.waiting.set(id, { request, channel, timer });
    // Its deadline goes with it: a responder that takes it up after the requester stopped waiting skips the handler.
    const deadline = new Date(Date.now() + request.timeoutMs).toISOString();
    const headers = { ...outgoing.properties.headers, [MessageHeaders.requestDeadline]: deadline };
    const properties = { ...outgoing.properties, headers, replyTo: this.names.directReplyTo };
    await new Promise<void>((resolve, reject) => {
      const confirmed = (error: unknown) => {
        if (!error) return resolve();
        this.forget(id);
        reject(new PublishError(`Request ${outgoing.properties.type} ${id} was not confirmed: ${errorMessage(error)}`, { cause: error }));
      };
      try {
        channel.publish(outgoing.exchange, outgoing.routingKey, outgoing.content, properties, confirmed);
      } catch (error) {
        // amqplib throws when the channel closed in the meantime.
        this.forget(id);
        reject(new RequestFailedError(`${outgoing.properties.type} could not be sent: ${errorMessage(error)}`, { cause: error }));
      }
    });
  }

  /** Ends a request without telling it (its caller has its answer, or gave up). */
  forget(id: string): void {
    const waiting = this.waiting.get(id);
    if (!waiting) return;
    clearTimeout(waiting.timer);
    this.waiting.delete(id);
  }

  /** Fails the requests still waiting, and closes the channel. */
  async close(): Promise<void> {
    this.closed = true;
    this.failAll(() => true, `The client ${this.name} was closed before the reply came`);
    const wrapper = this.wrapper;
    this.wrapper = undefined;
    this.current = undefined;
    await wrapper?.close().catch(() => undefined);
  }

  private open(): ChannelWrapper {
    const wrapper = this.connection.createChannel({
      name: `replies:${this.name}`,
      setup: async (channel: ConfirmChannel) => {
        channel.on('close', () => this.lost(channel));
        // Direct reply-to needs no-ack consuming; the pseudo-queue is the channel's own, so nothing is declared.
        await channel.consume(this.names.directReplyTo, (message) => this.received(message), { noAck: true });
        this.current = channel;
        this.connectedOnce = true;
      },
    });
    wrapper.on('error', (error: Error) => {
      if (!this.closed) this.logger.error({ event: 'replies.channel_error', client: this.name, reason: error.message });
    });
    return wrapper;
  }

  private received(message: ConsumeMessage | null): void {
    if (!message) return; // the broker cancelled the consumer: the channel's close ends its requests
    const id = (message.properties as { correlationId?: unknown }).correlationId;
    if (typeof id !== 'string' || !this.waiting.has(id)) {
      // A late reply (its request timed out) or a stray message: nobody waits for it.
      this.logger.debug({ event: 'replies.unexpected', client: this.name, correlationId: typeof id === 'string' ? id : undefined });
      return;
    }
    const reply = readReply(message.content);
    this.end(id, reply ? { reply } : { error: new RequestFailedError('The reply could not be read') });
  }

  /** The channel closed (connection lost or closed): the replies of its requests can never come. */
  private lost(channel: ConfirmChannel): void {
    if (this.current === channel) this.current = undefined;
    this.failAll((waiting) => waiting.channel === channel, 'The connection to the broker was lost before the reply came');
  }

  private failAll(which: (waiting: Waiting) => boolean, reason: string): void {
    for (const [id, waiting] of [...this.waiting]) {
      if (which(waiting)) this.end(id, { error: new RequestFailedError(reason) });
    }
  }

  private end(id: string, outcome: RequestOutcome): void {
    const waiting = this.waiting.get(id);
    if (!waiting) return;
    this.forget(id);
    waiting.request.settle(outcome);
  }
}
