// Owns the one broker connection of a service: connects to one live node of the broker (or of a cluster, from a list),
// moves to another node when its node goes away, reconnects with backoff, and hands out channels that survive it.
import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import amqplib, { type Channel, type ChannelModel } from 'amqplib';
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
  private currentUrl?: string;
  private lost = 0;
  private refused = 0;
  /** The nodes in the order this process tries them: the list turned at a random place, so that instances spread. */
  private readonly nodes: readonly string[];

  constructor(
    private readonly options: ResolvedMessagingOptions,
    random: () => number = Math.random,
  ) {
    this.backoff = new ReconnectBackoff(options.reconnect.initialDelayMs, options.reconnect.maxDelayMs);
    this.nodes = rotate(options.urls, Math.floor(random() * options.urls.length));
  }

  /** Starts connecting (in the background: the service starts even while the broker is away, and reports not ready). */
  connect(): void {
    if (this.manager) return;
    const { tls, heartbeatSeconds } = this.options;
    const nodes = [...this.nodes];
    const manager = amqp.connect(nodes, {
      heartbeatIntervalInSeconds: heartbeatSeconds,
      // The manager tries the nodes one after the other (round robin), the next one at once when a node fails or
      // drops the connection; the wait between whole rounds is ours (findServers below), its own fixed wait is tiny.
      reconnectTimeInSeconds: 0.001,
      findServers: async () => {
        await this.backoff.wait();
        return nodes;
      },
      connectionOptions: {
        ...(tls ?? {}),
        clientProperties: { connection_name: this.options.serviceName },
      },
    });
    manager.on('connect', ({ connection, url }) => {
      if (!coalesceFrameWrites(connection)) {
        this.logger.debug({ event: 'broker.writes_not_coalesced', reason: 'amqplib connection of another shape' });
      }
      this.backoff.reset();
      const previous = this.currentUrl;
      this.currentUrl = typeof url === 'string' ? url : undefined;
      this.version = parseBrokerVersion(serverPropertiesOf(connection));
      this.logger.log({
        event: 'broker.connected',
        url: this.currentUrl === undefined ? undefined : redactUrl(this.currentUrl),
        ...(nodes.length > 1 ? { nodes: nodes.length } : {}),
        ...(previous !== undefined && previous !== this.currentUrl ? { previousUrl: redactUrl(previous) } : {}),
        version: this.version?.text,
      });
    });
    manager.on('disconnect', ({ err }) => {
      // Counted at once (before any publish it failed hears of it): see lostSince and refusedSince.
      if (isChannelRefusal(err)) this.refused++;
      else this.lost++;
      if (!this.closing) {
        this.logger.warn({
          event: 'broker.disconnected',
          url: this.currentUrl === undefined ? undefined : redactUrl(this.currentUrl),
          reason: err?.message,
        });
      }
    });
    manager.on('connectFailed', ({ err, url }) => {
      this.logger.warn({
        event: 'broker.connect_failed',
        url: typeof url === 'string' ? redactUrl(url) : undefined,
        reason: err?.message,
        // The next node is tried at once; after the last one, the next round waits.
        ...(nodes.length > 1 ? { nodes: nodes.length } : {}),
        retryInMs: this.backoff.nextDelayMs,
      });
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

  /** The URL of the node the connection is open to (the last one, while reconnecting). */
  get connectedUrl(): string | undefined {
    return this.currentUrl;
  }

  /** How many times the connection has been lost so far (its node stopped, the network...): a mark for lostSince. */
  get lossCount(): number {
    return this.lost;
  }

  /**
   * The connection was lost after `mark` (a lossCount read before). A publish whose confirm a lost connection took
   * with it fails with this already true: amqplib fails the channel's unconfirmed publishes while it closes the
   * connection, and the connection manager tells of the loss in the same turn, before any promise settles.
   */
  lostSince(mark: number): boolean {
    return this.lost > mark;
  }

  /**
   * How many times the connection has closed because the broker refused a channel's command (a publish to a missing
   * exchange: 403, 404, 405, 406): amqp-connection-manager's channels let such a channel error close the connection.
   * Not a lost node: the same command would be refused again.
   */
  get refusalCount(): number {
    return this.refused;
  }

  refusedSince(mark: number): boolean {
    return this.refused > mark;
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
    const channel = this.requireManager().createChannel({ confirm: true, ...options });
    // A channel whose setup fails (its node going down mid-setup) emits "error": without a listener that would throw.
    // Its owner may listen and tell more; otherwise it is told here. The next connection sets it up again.
    channel.on('error', (error: Error) => {
      if (channel.listenerCount('error') === 1 && !this.closing) {
        this.logger.warn({ event: 'broker.channel_error', channel: options.name, reason: error.message });
      }
    });
    return channel;
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
    const { tls, serviceName } = this.options;
    // The node of the service's connection first, then the others: a probe must not fail for a node that is down.
    const current = this.currentUrl;
    const candidates = current === undefined ? this.nodes : [current, ...this.nodes.filter((url) => url !== current)];
    let model: ChannelModel | undefined;
    let lastError: unknown;
    for (const url of candidates) {
      try {
        model = await amqplib.connect(url, { ...(tls ?? {}), clientProperties: { connection_name: `${serviceName} (probe)` } });
        break;
      } catch (error) {
        lastError = error;
      }
    }
    // What the last node's connect threw, as it was thrown.
    if (!model) throw lastError;
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

/** AMQP channel exceptions: the broker refused a command of a channel (the codes amqplib puts on the error). */
const CHANNEL_REFUSALS: ReadonlySet<number> = new Set([403, 404, 405, 406]);

function isChannelRefusal(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' && CHANNEL_REFUSALS.has(code);
}

/** `list` from `start` on, then what came before it. */
function rotate<T>(list: readonly T[], start: number): T[] {
  return [...list.slice(start), ...list.slice(0, start)];
}

/** The server properties of an amqplib connection (the broker's product, version, capabilities), if it shows them. */
function serverPropertiesOf(connection: unknown): Record<string, unknown> | undefined {
  return (connection as { connection?: { serverProperties?: Record<string, unknown> } } | undefined)?.connection?.serverProperties;
}
