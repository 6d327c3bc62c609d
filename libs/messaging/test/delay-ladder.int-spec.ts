// Integration: the plugin-free delay ladder on a real broker, with quorum and with classic level queues: delays are
// kept, short delays overtake long ones, routing keys cannot leak into a queue whose name ends the same, and a delayed
// message comes out as it went in.
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import type { QueueType } from '../src/options/messaging-options';
import { delayRoute } from '../src/retry/delay-route';
import { Topology } from '../src/topology/topology';
import { BROKER_DEATH_HEADERS, MessageHeaders, TopologyNames } from '../src/topology/topology-names';
import { createTestVhost, eventually, type TestVhost } from '../../../test/support/test-broker';

/** How late a delayed message may be: dead-lettering through a few levels, and the consumer's hop. */
const TOLERANCE_MS = 1200;

const HEAD_OF_LINE_QUEUE = 'ladder.head-of-line';
const ORDER_QUEUE = 'ladder.order';
const PROPERTIES_QUEUE = 'ladder.properties';
// One name ends the other: a topic binding that matched "anything, then x.y" would take b.x.y's messages.
const SHORT_NAME = 'x.y';
const LONG_NAME = 'b.x.y';
const DESTINATIONS = [HEAD_OF_LINE_QUEUE, ORDER_QUEUE, PROPERTIES_QUEUE, SHORT_NAME, LONG_NAME];

const REVERSE_ORDER_DELAYS_S = [7, 5, 2, 1];
const PROPERTIES_DELAY_S = 3; // 2 + 1: two level queues
const BODY = Buffer.from(JSON.stringify({ id: 'p-1', note: 'délai → ladder ✓', nested: { n: 42 } }));

interface Arrival {
  queue: string;
  at: number;
  message: ConsumeMessage;
}

describe.each<QueueType>(['quorum', 'classic'])('delay ladder with %s level queues', (queueType) => {
  const names = new TopologyNames('domain.events', 'ladder-test');
  const topology = new Topology(names);
  /** messageId -> when it was handed to the channel. */
  const publishedAt = new Map<string, number>();
  /** messageId -> deliveries, in order of arrival (more than one would be a duplicate). */
  const arrivals = new Map<string, Arrival[]>();
  let vhost: TestVhost;
  let connection: ChannelModel;
  let publisher: ConfirmChannel;
  let consumer: Channel;
  let observer: Channel;
  /** Messages in delay.level.05 at the moment the 3 s message arrived. */
  let level05WhenShortArrived: Promise<number> | undefined;

  beforeAll(async () => {
    // The ladder is shared by a whole vhost, so each queue type gets a vhost of its own.
    vhost = await createTestVhost(`ladder-${queueType}`);
    connection = await vhost.connect();
    publisher = await connection.createConfirmChannel();
    consumer = await connection.createChannel();
    observer = await connection.createChannel();

    await topology.declareDelayLadder(publisher, queueType);
    for (const queue of DESTINATIONS) {
      await topology.declareHandlerQueue(publisher, { queue, messageType: queue, queueType, deliveryLimit: 5 });
    }
    await consumer.prefetch(100);
    for (const queue of DESTINATIONS) {
      await consumer.consume(queue, (message) => {
        if (!message) return;
        const at = Date.now();
        const id = String(message.properties.messageId);
        if (id === 'short-3s') level05WhenShortArrived = observer.checkQueue(names.delayLevelQueue(5)).then((q) => q.messageCount);
        arrivals.set(id, [...(arrivals.get(id) ?? []), { queue, at, message }]);
        consumer.ack(message);
      });
    }

    // Every scenario starts now and runs side by side: the ladder is meant to carry many delays at once, and the
    // file stays as long as its longest delay.
    publishDelayed(HEAD_OF_LINE_QUEUE, 'long-60s', 60);
    publishDelayed(HEAD_OF_LINE_QUEUE, 'short-3s', 3);
    for (const seconds of REVERSE_ORDER_DELAYS_S) publishDelayed(ORDER_QUEUE, `order-${seconds}s`, seconds);
    publishDelayed(SHORT_NAME, `to-${SHORT_NAME}`, 1);
    publishDelayed(LONG_NAME, `to-${LONG_NAME}`, 1);
    publishDelayed(PROPERTIES_QUEUE, 'properties', PROPERTIES_DELAY_S, {
      type: 'ladder.properties',
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      timestamp: 1_700_000_000,
      correlationId: 'amqp-correlation',
      appId: 'ladder-test',
      headers: {
        [MessageHeaders.correlationId]: 'corr-123',
        [MessageHeaders.causationId]: 'cause-456',
        [MessageHeaders.attempts]: 3,
        [MessageHeaders.firstFailedAt]: '2024-01-02T03:04:05.000Z',
      },
    });
    await publisher.waitForConfirms();
  });

  afterAll(async () => {
    await connection?.close().catch(() => undefined);
    // Deleting the vhost also drops the 60 s message still waiting in the ladder.
    await vhost?.delete();
  });

  function publishDelayed(queue: string, messageId: string, seconds: number, properties: Options.Publish = {}): void {
    const route = delayRoute('ladder', names, queue, seconds * 1000);
    const content = messageId === 'properties' ? BODY : Buffer.from(messageId);
    publishedAt.set(messageId, Date.now());
    publisher.publish(route.exchange, route.routingKey, content, {
      persistent: true,
      ...properties,
      messageId,
      headers: { ...properties.headers, ...route.headers },
    });
  }

  function firstArrival(messageId: string): Arrival | undefined {
    return arrivals.get(messageId)?.[0];
  }

  /** Milliseconds from publish to arrival. */
  function elapsed(messageId: string): number {
    return firstArrival(messageId)!.at - publishedAt.get(messageId)!;
  }

  async function arrivalOf(messageId: string, timeoutMs: number): Promise<Arrival> {
    await eventually(() => arrivals.has(messageId), `${messageId} delivered`, timeoutMs);
    return firstArrival(messageId)!;
  }

  it('delivers a 3 s delay on time while a 60 s delay published just before it still waits in level 05', async () => {
    await arrivalOf('short-3s', 3000 + TOLERANCE_MS + 2000);
    expect(elapsed('short-3s')).toBeGreaterThanOrEqual(3000);
    expect(elapsed('short-3s')).toBeLessThanOrEqual(3000 + TOLERANCE_MS);
    // 60 = 32 + 16 + 8 + 4: its first stop is the 32 s level, where it sat when the short one came out.
    expect(arrivals.has('long-60s')).toBe(false);
    expect(await level05WhenShortArrived).toBe(1);
  });

  it('lets shorter delays overtake longer ones published before them, each on time', async () => {
    const longest = Math.max(...REVERSE_ORDER_DELAYS_S);
    for (const seconds of REVERSE_ORDER_DELAYS_S) await arrivalOf(`order-${seconds}s`, longest * 1000 + TOLERANCE_MS + 2000);

    const byArrival = [...REVERSE_ORDER_DELAYS_S].sort((a, b) => firstArrival(`order-${a}s`)!.at - firstArrival(`order-${b}s`)!.at);
    expect(byArrival).toEqual([1, 2, 5, 7]);
    for (const seconds of REVERSE_ORDER_DELAYS_S) {
      const ms = elapsed(`order-${seconds}s`);
      expect({ seconds, ms, onTime: ms >= seconds * 1000 && ms <= seconds * 1000 + TOLERANCE_MS }).toEqual({ seconds, ms, onTime: true });
    }
  });

  it('delivers to x.y only what was routed to x.y, and to b.x.y only what was routed to b.x.y', async () => {
    await arrivalOf(`to-${SHORT_NAME}`, 1000 + TOLERANCE_MS + 2000);
    await arrivalOf(`to-${LONG_NAME}`, 1000 + TOLERANCE_MS + 2000);
    // A leaked copy would travel the same levels and come out at the same moment; give it a moment anyway.
    await new Promise((resolve) => setTimeout(resolve, 500));

    const received = (queue: string): string[] =>
      [...arrivals.entries()].flatMap(([id, list]) => list.filter((a) => a.queue === queue).map(() => id));
    expect(received(SHORT_NAME)).toEqual([`to-${SHORT_NAME}`]);
    expect(received(LONG_NAME)).toEqual([`to-${LONG_NAME}`]);
  });

  it("keeps body, message id, correlation and attempts unchanged through the ladder, adding only the broker's death headers", async () => {
    const { message } = await arrivalOf('properties', PROPERTIES_DELAY_S * 1000 + TOLERANCE_MS + 2000);
    expect(message.content.equals(BODY)).toBe(true);

    const { properties } = message;
    expect(properties).toMatchObject({
      messageId: 'properties',
      type: 'ladder.properties',
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      timestamp: 1_700_000_000,
      correlationId: 'amqp-correlation',
      appId: 'ladder-test',
      deliveryMode: 2,
    });
    // The level queues' TTL must not turn into a per-message expiration on the way out.
    expect(properties.expiration).toBeUndefined();

    const headers = properties.headers ?? {};
    expect(withoutKeys(headers, BROKER_DEATH_HEADERS)).toEqual({
      [MessageHeaders.correlationId]: 'corr-123',
      [MessageHeaders.causationId]: 'cause-456',
      [MessageHeaders.attempts]: 3,
      [MessageHeaders.firstFailedAt]: '2024-01-02T03:04:05.000Z',
    });
    expect(headers['x-first-death-queue']).toBe(names.delayLevelQueue(1));
    // One hop per set bit of 3 s (2 + 1), newest first, each by expiry: no other level held it.
    const hops = (headers['x-death'] ?? []).map((death) => [death.queue, death.reason, death.count]);
    expect(hops).toEqual([
      [names.delayLevelQueue(0), 'expired', 1],
      [names.delayLevelQueue(1), 'expired', 1],
    ]);
    expect(arrivals.get('properties')).toHaveLength(1);
  });
});

function withoutKeys(record: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([key]) => !keys.includes(key)));
}
