// Owns the one broker connection of a service: reconnects with backoff and hands out channels that survive it.
import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import amqplib, { type Channel } from 'amqplib';
import amqp, { type AmqpConnectionManager, type ChannelWrapper, type CreateChannelOpts } from 'amqp-connection-manager';
import { redactUrl } from '@app/messaging-core';
import type { ResolvedMessagingOptions } from '../options/messaging-options';
import { brokerSemantics, parseBrokerVersion, type BrokerSemantics, type BrokerVersion } from './broker-semantics';
import { coalesceFrameWrites } from './coalesced-writes';
import { ReconnectBackoff } from './reconnect-backoff';

export class AmqpConnection implements OnApplicationShutdown {
  private readonly logger = new Logger('Messaging');
  private manager?: AmqpConnectionManager;
  private readonly backoff: ReconnectBackoff;
  private closing = false;
  private version?: BrokerVersion;

  constructor(private readonly options: ResolvedMessagingOptions) {
    this.backoff = new ReconnectBackoff(options.reconnect.initialDelayMs, options.reconnect.maxDelayMs);
  }

  /** Starts connecting (in the background: the service starts even while the broker is away, and reports not ready). */
  connect(): void {
    if (this.manager) return;
    const { url, tls, heartbeatSeconds } = this.options;
    const manager = amqp.connect([url], {
      heartbeatIntervalInSeconds: heartbeatSeconds,
      // The wait between attempts is ours (findServers below); the library's own fixed wait is kept tiny.
      reconnectTimeInSeconds: 0.001,
      findServers: async () => {
        await this.backoff.wait();
        return [url];
      },
      connectionOptions: {
        ...(tls ?? {}),
        clientProperties: { connection_name: this.options.serviceName },
      },
    });
    manager.on('connect', ({ connection }) => {
      if (!coalesceFrameWrites(connection)) {
        this.logger.debug({ event: 'broker.writes_not_coalesced', reason: 'amqplib connection of another shape' });
      }
      this.backoff.reset();
      this.version = parseBrokerVersion(serverPropertiesOf(connection));
      this.logger.log({ event: 'broker.connected', url: redactUrl(url), version: this.version?.text });
    });
    manager.on('disconnect', ({ err }) => {
      if (!this.closing) this.logger.warn({ event: 'broker.disconnected', reason: err?.message });
    });
    manager.on('connectFailed', ({ err }) => {
      this.logger.warn({ event: 'broker.connect_failed', reason: err?.message, retryInMs: this.backoff.nextDelayMs });
    });
    manager.on('blocked', ({ reason }) => this.logger.warn({ event: 'broker.blocked', reason }));
    manager.on('unblocked', () => this.logger.log({ event: 'broker.unblocked' }));
    this.manager = manager;
  }

  /**
   * What the broker the connection last opened to means by its counters and supports (see broker-semantics.ts);
   * before the first connection, the semantics of an unknown version.
   */
  get semantics(): BrokerSemantics {
    return brokerSemantics(this.version);
  }

  isConnected(): boolean {
    return this.manager?.isConnected() ?? false;
  }

  /** Resolves once connected; rejects after `timeoutMs`. */
  async waitForConnect(timeoutMs: number): Promise<void> {
    const manager = this.requireManager();
    if (manager.isConnected()) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        manager.connect({ timeout: timeoutMs }),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`No broker connection within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A channel that is re-created, and re-runs its `setup`, after every reconnect. Confirm mode by default. */
  createChannel(options: CreateChannelOpts): ChannelWrapper {
    return this.requireManager().createChannel({ confirm: true, ...options });
  }

  /**
   * Runs `fn` on a short-lived plain channel of the current connection. For commands that may close their channel
   * on failure (checking for a queue, probing for a plugin) without disturbing the long-lived channels.
   */
  async withTemporaryChannel<T>(fn: (channel: Channel) => Promise<T>): Promise<T> {
    const model = this.requireManager().connection;
    if (!model) throw new Error('Not connected to the broker');
    const channel = await model.createChannel();
    channel.on('error', () => undefined); // a failed command closes the channel; the rejection below reports it
    try {
      return await fn(channel);
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /**
   * Runs `fn` on a channel of a short-lived connection of its own: for probes whose failure the broker answers by
   * closing the whole connection (declaring an exchange of an unknown type does), away from the service's connection.
   */
  async withTemporaryConnection<T>(fn: (channel: Channel) => Promise<T>): Promise<T> {
    const { url, tls, serviceName } = this.options;
    const model = await amqplib.connect(url, { ...(tls ?? {}), clientProperties: { connection_name: `${serviceName} (probe)` } });
    model.on('error', () => undefined);
    try {
      const channel = await model.createChannel();
      channel.on('error', () => undefined);
      return await fn(channel);
    } finally {
      await model.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    const manager = this.manager;
    this.manager = undefined;
    this.backoff.cancel();
    await manager?.close();
  }

  private requireManager(): AmqpConnectionManager {
    if (!this.manager) throw new Error('The broker connection has not been started (connect() first)');
    return this.manager;
  }
}

/** The server properties of an amqplib connection (the broker's product, version, capabilities), if it shows them. */
function serverPropertiesOf(connection: unknown): Record<string, unknown> | undefined {
  return (connection as { connection?: { serverProperties?: Record<string, unknown> } } | undefined)?.connection?.serverProperties;
}
