// The AMQP connection of the in-memory transport: always "connected", with the semantics of RabbitMQ 4.3 (the delay
// ladder, never the plugin), short-lived channels that answer from the in-memory broker, and no long-lived channels:
// what needs one (request/reply, the dead-letter admin) needs the real broker.
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { Channel as AmqpChannel } from 'amqplib';
import { AmqpConnection, brokerSemantics, parseBrokerVersion, type BrokerSemantics, type ResolvedMessagingOptions } from '@app/messaging';
import { NotFoundError, type MemoryBroker } from './memory-broker';

/** The broker version the in-memory transport behaves as. */
export const EMULATED_BROKER_VERSION = '4.3.0';

const SEMANTICS = brokerSemantics(parseBrokerVersion({ version: EMULATED_BROKER_VERSION }));

export class MemoryConnection extends AmqpConnection {
  constructor(
    options: ResolvedMessagingOptions,
    private readonly broker: MemoryBroker,
  ) {
    super(options);
  }

  override connect(): void {}

  override get semantics(): BrokerSemantics {
    return SEMANTICS;
  }

  override isConnected(): boolean {
    return true;
  }

  override get connectedUrl(): string {
    return 'memory://';
  }

  override waitForConnect(): Promise<void> {
    return Promise.resolve();
  }

  override createChannel(options: { name?: string }): ChannelWrapper {
    throw new Error(
      `The in-memory transport has no AMQP channel for "${options.name ?? 'a channel'}": request/reply, the dead-letter ` +
        'admin and ordered partitions need the real broker',
    );
  }

  override async withTemporaryChannel<T>(fn: (channel: AmqpChannel) => Promise<T>): Promise<T> {
    const broker = this.broker;
    const channel = {
      checkExchange: (exchange: string) => {
        if (!broker.hasExchange(exchange)) throw new NotFoundError(`NOT_FOUND - no exchange '${exchange}'`);
        return Promise.resolve({});
      },
      checkQueue: (queue: string) => Promise.resolve({ queue, messageCount: broker.messageCount(queue), consumerCount: 0 }),
    };
    return fn(channel as unknown as AmqpChannel);
  }

  override withTemporaryConnection<T>(): Promise<T> {
    return Promise.reject(new Error('The in-memory transport opens no connection'));
  }

  override async close(): Promise<void> {}

  override async onApplicationShutdown(): Promise<void> {}
}
