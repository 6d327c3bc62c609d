// The instances consuming one ordered handler's queue, as this instance sees them: each announces itself on a fanout
// exchange every heartbeat and hears the others through an exclusive queue of its own; an instance not heard of
// within the expiry, or one that said it leaves, is dropped. Views of several instances agree within a heartbeat or
// two; while they differ, the partitions' single active consumer keeps any partition to one consumer.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Logger } from '@nestjs/common';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { AmqpConnection } from '../connection/amqp-connection';
import { errorMessage } from '../dead-letter/dead-letter-headers';

export interface MembershipTiming {
  /** How often an instance announces itself. */
  heartbeatMs: number;
  /** An instance not heard of for this long is taken to be gone. */
  expiryMs: number;
}

export const DEFAULT_MEMBERSHIP_TIMING: MembershipTiming = { heartbeatMs: 500, expiryMs: 2000 };

interface Announcement {
  member: string;
  leaving?: boolean;
}

export class PartitionMembership {
  private readonly logger = new Logger('Messaging');
  /** This instance, as the others know it: host, process and a random part (two consumers in one process differ). */
  readonly self = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly lastHeard = new Map<string, number>();
  private channel?: ChannelWrapper;
  private timer?: NodeJS.Timeout;
  private view: readonly string[] = [];
  private readonly listeners = new Set<() => void>();
  /** Counted among the members (false while paused or stopping). */
  private present = false;
  private connected = false;

  constructor(
    private readonly connection: AmqpConnection,
    private readonly exchange: string,
    /** Declares what the members rely on (the handler's partitions), on every (re)connect, before announcing. */
    private readonly declare: (channel: Channel) => Promise<void>,
    private readonly timing: MembershipTiming = DEFAULT_MEMBERSHIP_TIMING,
  ) {}

  /** The members now, sorted; this instance among them while it is present. */
  get members(): readonly string[] {
    return this.view;
  }

  /** The channel is set up: the topology is declared and announcements flow. */
  get isConnected(): boolean {
    return this.connected && this.connection.isConnected();
  }

  /** Calls `listener` whenever the members change; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Opens the channel (declaring the topology) and starts announcing; resolves once set up on a connection. */
  async start(): Promise<void> {
    this.present = true;
    this.channel = this.connection.createChannel({
      name: `members:${this.exchange}`,
      confirm: false,
      // A heartbeat that cannot go out soon is worthless: it is dropped, not queued for the next connection.
      publishTimeout: this.timing.heartbeatMs,
      setup: async (channel: Channel) => {
        this.connected = false;
        await this.declare(channel);
        await channel.assertExchange(this.exchange, 'fanout', { durable: true });
        // Server-named and exclusive: it goes with this connection, and a new one is made on the next.
        const { queue } = await channel.assertQueue('', {
          exclusive: true,
          autoDelete: true,
          durable: false,
          arguments: { 'x-message-ttl': this.timing.expiryMs },
        });
        await channel.bindQueue(queue, this.exchange, '');
        await channel.consume(queue, (message) => this.heard(message), { noAck: true });
        this.connected = true;
        this.announce();
      },
    });
    this.channel.on('error', (error: Error) =>
      this.logger.warn({ event: 'members.channel_error', exchange: this.exchange, reason: error.message }),
    );
    this.timer = setInterval(() => {
      this.announce();
      this.refresh();
    }, this.timing.heartbeatMs);
    this.timer.unref();
    this.refresh();
    await this.channel.waitForConnect();
  }

  /** Stops counting itself (paused or stopping): tells the others at once, so that they take over its partitions. */
  leave(): void {
    if (!this.present) return;
    this.present = false;
    this.send({ member: this.self, leaving: true });
    this.refresh();
  }

  /** Counts itself again (resumed). */
  rejoin(): void {
    if (this.present || !this.channel) return;
    this.present = true;
    this.announce();
    this.refresh();
  }

  async stop(): Promise<void> {
    this.leave();
    clearInterval(this.timer);
    this.listeners.clear();
    await this.channel?.close().catch(() => undefined);
    this.channel = undefined;
  }

  private announce(): void {
    if (this.present) this.send({ member: this.self });
  }

  private send(announcement: Announcement): void {
    const channel = this.channel;
    if (!channel || !this.connected) return;
    channel
      .publish(this.exchange, '', Buffer.from(JSON.stringify(announcement)), { expiration: String(this.timing.expiryMs) })
      .catch((error: unknown) =>
        this.logger.debug({ event: 'members.announce_failed', exchange: this.exchange, reason: errorMessage(error) }),
      );
  }

  private heard(message: ConsumeMessage | null): void {
    if (!message) return;
    let announcement: Partial<Announcement>;
    try {
      announcement = JSON.parse(message.content.toString('utf8')) as Partial<Announcement>;
    } catch {
      return;
    }
    const { member } = announcement;
    if (typeof member !== 'string' || member === this.self) return;
    if (announcement.leaving === true) this.lastHeard.delete(member);
    else this.lastHeard.set(member, Date.now());
    this.refresh();
  }

  /** Recomputes the members (dropping the expired) and tells the listeners when they changed. */
  private refresh(): void {
    const now = Date.now();
    for (const [member, at] of this.lastHeard) if (now - at > this.timing.expiryMs) this.lastHeard.delete(member);
    const members = [...this.lastHeard.keys(), ...(this.present ? [this.self] : [])].sort();
    if (members.length === this.view.length && members.every((member, i) => member === this.view[i])) return;
    this.view = members;
    for (const listener of this.listeners) listener();
  }
}
