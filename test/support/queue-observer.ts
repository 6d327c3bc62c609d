// Test helper: a queue of its own bound to the events exchange, to see from outside the library what was published.
import amqplib, { type Channel, type ChannelModel, type GetMessage } from 'amqplib';

export interface QueueObserverOptions {
  /** Default 'domain.events' (the library's default events exchange). */
  exchange?: string;
  /** Binding pattern on the topic exchange. Default '#': everything. */
  routingKey?: string;
}

export class QueueObserver {
  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: Channel,
    readonly queue: string,
  ) {}

  /** Declares `queue` (durable, classic) and binds it; the exchange is declared as the library declares it. */
  static async open(url: string, queue: string, options: QueueObserverOptions = {}): Promise<QueueObserver> {
    const connection = await amqplib.connect(url);
    connection.on('error', () => undefined); // a broker outage closes it; the test reports what it misses
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    const exchange = options.exchange ?? 'domain.events';
    await channel.assertExchange(exchange, 'topic', { durable: true });
    await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'classic' } });
    await channel.bindQueue(queue, exchange, options.routingKey ?? '#');
    return new QueueObserver(connection, channel, queue);
  }

  /** Messages ready in the queue now. */
  async depth(): Promise<number> {
    const { messageCount } = await this.channel.checkQueue(this.queue);
    return messageCount;
  }

  /** Takes (and acks) every message in the queue now, in queue order. */
  async drain(): Promise<GetMessage[]> {
    const messages: GetMessage[] = [];
    for (;;) {
      const message = await this.channel.get(this.queue, { noAck: true });
      if (!message) return messages;
      messages.push(message);
    }
  }

  async delete(): Promise<void> {
    await this.channel.deleteQueue(this.queue).catch(() => undefined);
    await this.close();
  }

  async close(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
