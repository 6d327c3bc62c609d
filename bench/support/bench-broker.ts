// Bench: the bench's own connection to its vhost: declares the one queue (as the library declares a handler queue),
// pre-fills and paces messages into it, and checks and empties it between runs.
import amqplib, { type Channel, type ChannelModel, type ConfirmChannel } from 'amqplib';
import type { QueueType } from '../../libs/messaging/src/options/messaging-options';
import { Topology } from '../../libs/messaging/src/topology/topology';
import { BENCH_DELIVERY_LIMIT, BENCH_NAMES, BENCH_QUEUE, BenchEvent, type WireMessage } from './bench-message';
import { publishAtRate, publishWindowed, type PublishStats } from './windowed-publish';

export class BenchBroker {
  private constructor(
    private readonly connection: ChannelModel,
    private readonly admin: Channel,
    private readonly publisher: ConfirmChannel,
  ) {}

  static async open(url: string, queueType: QueueType): Promise<BenchBroker> {
    const connection = await amqplib.connect(url);
    try {
      const admin = await connection.createChannel();
      const publisher = await connection.createConfirmChannel();
      // The queue every contender uses, with the arguments the library gives it, so that the library's own
      // declaration at start agrees and the peers consume the very same kind of queue.
      await new Topology(BENCH_NAMES).declareHandlerQueue(admin, {
        queue: BENCH_QUEUE,
        messageType: BenchEvent.messageType,
        queueType,
        deliveryLimit: BENCH_DELIVERY_LIMIT,
      });
      return new BenchBroker(connection, admin, publisher);
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
  }

  /** Ready messages in the queue (unacknowledged ones go back to ready when their consumer's channel closes). */
  async depth(): Promise<number> {
    return (await this.admin.checkQueue(BENCH_QUEUE)).messageCount;
  }

  async purge(): Promise<void> {
    await this.admin.purgeQueue(BENCH_QUEUE);
  }

  /** As fast as `window` unconfirmed messages allow; confirmed means in the queue. */
  fill(count: number, window: number, message: (i: number) => WireMessage): Promise<PublishStats> {
    return publishWindowed(this.publisher, count, window, message);
  }

  paced(count: number, perSecond: number, message: (i: number) => WireMessage): Promise<PublishStats> {
    return publishAtRate(this.publisher, count, perSecond, message);
  }

  async close(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }
}
