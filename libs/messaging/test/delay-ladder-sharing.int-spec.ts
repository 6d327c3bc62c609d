// Integration: the delay ladder is shared by every service of a vhost, so one service's leftovers or options must not
// stop another's delays.
import type { ChannelModel } from 'amqplib';
import type { QueueType } from '../src/options/messaging-options';
import { delayRoute } from '../src/retry/delay-route';
import { Topology } from '../src/topology/topology';
import { TopologyNames } from '../src/topology/topology-names';
import { createTestVhost, eventually } from '../../../test/support/test-broker';

/** How late a delayed message may be: dead-lettering through a few levels, and the consumer's hop. */
const TOLERANCE_MS = 1200;

describe('delay ladder shared by every service of a vhost', () => {
  const names = new TopologyNames('domain.events', 'ladder-test');
  const topology = new Topology(names);
  /** More than the broker's dead_letter_worker_consumer_prefetch (32): what a quorum level queue forwards at once. */
  const UNROUTABLE = 40;

  async function withVhost(label: string, body: (connection: ChannelModel) => Promise<void>): Promise<void> {
    const vhost = await createTestVhost(label);
    const connection = await vhost.connect();
    try {
      await body(connection);
    } finally {
      await connection.close().catch(() => undefined);
      await vhost.delete();
    }
  }

  /** Delays UNROUTABLE messages for a queue that does not exist, then one for a live queue; resolves with its lateness. */
  /** Delays UNROUTABLE messages for a queue that does not exist, then one for a live queue; resolves with its lateness. */
  async function delayBehindUnroutable(connection: ChannelModel, queueType: QueueType): Promise<number | undefined> {
    const channel = await connection.createConfirmChannel();
    await topology.declareDelayLadder(channel);
    await topology.declareHandlerQueue(channel, { queue: 'live.queue', messageType: 'live', queueType, deliveryLimit: 5 });
    for (let i = 0; i < UNROUTABLE; i++) {
      const route = delayRoute('ladder', names, 'deleted.queue', 1000);
      channel.publish(route.exchange, route.routingKey, Buffer.from('orphan'), { persistent: true, messageId: `orphan-${i}` });
    }
    const route = delayRoute('ladder', names, 'live.queue', 1000);
    const publishedAt = Date.now();
    channel.publish(route.exchange, route.routingKey, Buffer.from('live'), { persistent: true, messageId: 'live' });
    await channel.waitForConfirms();
    let arrivedAt: number | undefined;
    await channel.consume(
      'live.queue',
      (message) => {
        if (message) arrivedAt = Date.now();
      },
      { noAck: true },
    );
    await eventually(() => arrivedAt !== undefined, 'live message delivered', 1000 + TOLERANCE_MS + 1000).catch(() => undefined);
    return arrivedAt === undefined ? undefined : arrivedAt - publishedAt;
  }

  // Quorum level queues dead-letter at least once: without a place for them, dead letters that route nowhere (their
  // queue was deleted) would stay with the level's dead-letter worker, and from the 32nd on stop that level for all.
  it.each<QueueType>(['quorum', 'classic'])(
    'keeps delays for live %s queues on time while messages for a deleted queue are parked in delay.unroutable',
    async (queueType) => {
      await withVhost(`ladder-orphans-${queueType}`, async (connection) => {
        const elapsed = await delayBehindUnroutable(connection, queueType);
        expect(elapsed).toBeGreaterThanOrEqual(1000);
        expect(elapsed).toBeLessThanOrEqual(1000 + TOLERANCE_MS);
        const channel = await connection.createChannel();
        await eventually(async () => (await channel.checkQueue(names.delayUnroutableQueue)).messageCount === UNROUTABLE, 'orphans parked');
      });
    },
  );

  it('lets services whose own queues are classic and quorum share one ladder', async () => {
    await withVhost('ladder-mixed', async (connection) => {
      const quorumService = await connection.createConfirmChannel();
      await topology.declareDelayLadder(quorumService);
      await topology.declareHandlerQueue(quorumService, { queue: 'q.service', messageType: 'q', queueType: 'quorum', deliveryLimit: 5 });
      const classicService = await connection.createConfirmChannel();
      await expect(topology.declareDelayLadder(classicService)).resolves.toBeUndefined();
      await topology.declareHandlerQueue(classicService, { queue: 'c.service', messageType: 'c', queueType: 'classic', deliveryLimit: 5 });
      for (const queue of ['q.service', 'c.service']) {
        const route = delayRoute('ladder', names, queue, 1000);
        classicService.publish(route.exchange, route.routingKey, Buffer.from(queue), { persistent: true });
      }
      await classicService.waitForConfirms();
      const observer = await connection.createChannel();
      await eventually(
        async () =>
          (await observer.checkQueue('q.service')).messageCount === 1 && (await observer.checkQueue('c.service')).messageCount === 1,
        'both delayed messages delivered',
        1000 + TOLERANCE_MS + 2000,
      );
    });
  });
});
