// Integration: a burst of publishes reaches the socket in a few writes, in order and confirmed, against the real broker.
import { Socket } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { ChannelModel } from 'amqplib';
import { IsInt, Min } from 'class-validator';
import { MessagePublisher, MessagingModule } from '@app/messaging';
import { coalesceFrameWrites } from '../src/connection/coalesced-writes';
import { createTestVhost, type TestVhost } from '../../../test/support/test-broker';

class Tick {
  static readonly messageType = 'tick.counted';
  static readonly schemaVersion = 1;
  @IsInt() @Min(0) n!: number;
}

const BURST = 200;

/** Counts the writes that reach any socket's underlying handle while `work` runs (one per `_write` or `_writev`). */
async function countSocketWrites(work: () => Promise<void>): Promise<number> {
  const single = jest.spyOn(Socket.prototype as unknown as { _write: () => void }, '_write');
  const vectored = jest.spyOn(Socket.prototype as unknown as { _writev: () => void }, '_writev');
  try {
    await work();
    return single.mock.calls.length + vectored.mock.calls.length;
  } finally {
    single.mockRestore();
    vectored.mockRestore();
  }
}

/** Drains `queue` and returns the `n` of each message in arrival order. */
async function drain(connection: ChannelModel, queue: string): Promise<number[]> {
  const channel = await connection.createChannel();
  const seen: number[] = [];
  for (let message = await channel.get(queue, { noAck: true }); message; message = await channel.get(queue, { noAck: true })) {
    seen.push((JSON.parse(message.content.toString()) as { n: number }).n);
  }
  await channel.close();
  return seen;
}

describe('coalesced frame writes', () => {
  let vhost: TestVhost;
  let observer: ChannelModel;

  beforeAll(async () => {
    vhost = await createTestVhost('coalesced-writes');
    observer = await vhost.connect();
  });

  afterAll(async () => {
    await observer?.close().catch(() => undefined);
    await vhost?.delete();
  });

  it('sends a burst of confirmed publishes as a few socket writes instead of one each, in order', async () => {
    const queue = 'burst';
    const setup = await observer.createChannel();
    await setup.assertQueue(queue, { durable: true }); // RabbitMQ 4.3 refuses non-durable, non-exclusive queues
    await setup.close();

    const burst = async (connection: ChannelModel, from: number): Promise<number> => {
      const channel = await connection.createConfirmChannel();
      const writes = await countSocketWrites(async () => {
        for (let n = from; n < from + BURST; n++) channel.publish('', queue, Buffer.from(JSON.stringify({ n })), { persistent: true });
        await channel.waitForConfirms();
      });
      await channel.close();
      return writes;
    };

    // The same burst on a plain amqplib connection, as control: one write per message.
    const plain = await vhost.connect();
    const plainWrites = await burst(plain, 0);
    await plain.close();
    expect(plainWrites).toBeGreaterThanOrEqual(BURST);

    const coalesced = await vhost.connect();
    expect(coalesceFrameWrites(coalesced)).toBe(true);
    expect(coalesceFrameWrites(coalesced)).toBe(true); // a second call does not wrap it twice
    const coalescedWrites = await burst(coalesced, BURST);
    await coalesced.close();
    // Back-pressure still applies: past the socket's high-water mark (16 KiB, ~60 of these frames) the writer waits for
    // 'drain', so a burst takes a handful of writes rather than exactly one.
    expect(coalescedWrites).toBeLessThanOrEqual(BURST / 10);

    expect(await drain(observer, queue)).toEqual(Array.from({ length: 2 * BURST }, (_, n) => n));
  });

  it("is on for the library's connection: concurrent publishes share socket writes and are all confirmed", async () => {
    const queue = 'library-burst';
    const setup = await observer.createChannel();
    await setup.assertExchange('coalesced.events', 'topic', { durable: true });
    await setup.assertQueue(queue, { durable: true }); // RabbitMQ 4.3 refuses non-durable, non-exclusive queues
    await setup.bindQueue(queue, 'coalesced.events', Tick.messageType);
    await setup.close();

    const moduleRef = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({
          url: vhost.url,
          serviceName: 'coalesce',
          exchange: 'coalesced.events',
          queueType: 'classic',
          consume: false,
        }),
      ],
    }).compile();
    const app: INestApplication = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const publisher = app.get(MessagePublisher);
      await publisher.publish(Tick, { n: 0 }); // the channel and its exchange are set up on first use
      const writes = await countSocketWrites(async () => {
        await Promise.all(Array.from({ length: BURST }, (_, i) => publisher.publish(Tick, { n: i + 1 })));
      });
      expect(writes).toBeLessThanOrEqual(BURST / 10);
    } finally {
      await app.close();
    }
    // Concurrent publishes go out in the order they were called.
    expect(await drain(observer, queue)).toEqual(Array.from({ length: BURST + 1 }, (_, n) => n));
  });

  it('leaves a connection of another shape alone', () => {
    expect(coalesceFrameWrites(undefined)).toBe(false);
    expect(coalesceFrameWrites({ connection: { muxer: {}, stream: {} } })).toBe(false);
  });
});
