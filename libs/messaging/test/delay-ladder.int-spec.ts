// Integration: the plugin-free delay ladder on a real broker (its level queues are quorum queues), delivering to quorum
// and to classic handler queues: delays are kept, short delays overtake long ones, routing keys cannot leak into a
// queue whose name ends the same, and a delayed message comes out as it went in.
import type { ChannelModel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { retryHeaders } from '../src/dead-letter/dead-letter-headers';
import type { QueueType } from '../src/options/messaging-options';
import { delayRoute } from '../src/retry/delay-route';
import { Topology } from '../src/topology/topology';
import { BROKER_DEATH_HEADERS, MessageHeaders, TopologyNames } from '../src/topology/topology-names';
import { createTestVhost, eventually, rabbitmqctl, type TestVhost } from '../../../test/support/test-broker';

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

/**
 * One ladder in a vhost of its own (the ladder is shared by a whole vhost), with every scenario of this file started at
 * once: the ladder is meant to carry many delays side by side, and the file lasts as long as its longest delay.
 */
class LadderRun {
  readonly names = new TopologyNames('domain.events', 'ladder-test');
  /** messageId -> when it was handed to the channel. */
  private readonly publishedAt = new Map<string, number>();
  /** messageId -> deliveries, in order of arrival (more than one would be a duplicate). */
  readonly arrivals = new Map<string, Arrival[]>();
  /** Messages in delay.level.05 at the moment the 3 s message arrived. */
  level05WhenShortArrived?: Promise<number>;
  private connection?: ChannelModel;
  private publisher!: ConfirmChannel;

  private constructor(
    readonly queueType: QueueType,
    private readonly vhost: TestVhost,
  ) {}

  /** Creates the vhost and registers the run (so that it is cleaned up even if a later step fails), then starts it. */
  static async start(queueType: QueueType, register: (run: LadderRun) => void): Promise<void> {
    const run = new LadderRun(queueType, await createTestVhost(`ladder-${queueType}`));
    register(run);
    await run.declareAndPublish();
  }

  async stop(): Promise<void> {
    await this.connection?.close().catch(() => undefined);
    // Deleting the vhost also drops the 60 s message still waiting in the ladder.
    await this.vhost.delete();
  }

  private async declareAndPublish(): Promise<void> {
    const { names, queueType } = this;
    const topology = new Topology(names);
    this.connection = await this.vhost.connect();
    this.publisher = await this.connection.createConfirmChannel();
    const consumer = await this.connection.createChannel();
    const observer = await this.connection.createChannel();

    await topology.declareDelayLadder(this.publisher);
    for (const queue of DESTINATIONS) {
      await topology.declareHandlerQueue(this.publisher, { queue, messageType: queue, queueType, deliveryLimit: 5 });
    }
    await consumer.prefetch(100);
    for (const queue of DESTINATIONS) {
      await consumer.consume(queue, (message) => {
        if (!message) return;
        const at = Date.now();
        const id = String(message.properties.messageId);
        if (id === 'short-3s') this.level05WhenShortArrived = observer.checkQueue(names.delayLevelQueue(5)).then((q) => q.messageCount);
        if (id === 'properties') this.sendRoundAgain(message);
        this.arrivals.set(id, [...(this.arrivals.get(id) ?? []), { queue, at, message }]);
        consumer.ack(message);
      });
    }

    this.publishDelayed(HEAD_OF_LINE_QUEUE, 'long-60s', 60);
    this.publishDelayed(HEAD_OF_LINE_QUEUE, 'short-3s', 3);
    for (const seconds of REVERSE_ORDER_DELAYS_S) this.publishDelayed(ORDER_QUEUE, `order-${seconds}s`, seconds);
    this.publishDelayed(SHORT_NAME, `to-${SHORT_NAME}`, 1);
    this.publishDelayed(LONG_NAME, `to-${LONG_NAME}`, 1);
    this.publishDelayed(PROPERTIES_QUEUE, 'properties', PROPERTIES_DELAY_S, {
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
    await this.publisher.waitForConfirms();
  }

  private publishDelayed(queue: string, messageId: string, seconds: number, properties: Options.Publish = {}): void {
    const route = delayRoute('ladder', this.names, queue, seconds * 1000);
    const content = queue === PROPERTIES_QUEUE ? BODY : Buffer.from(messageId);
    this.publishedAt.set(messageId, Date.now());
    this.publisher.publish(route.exchange, route.routingKey, content, {
      persistent: true,
      ...properties,
      messageId,
      headers: { ...(properties.headers as Record<string, unknown> | undefined), ...route.headers },
    });
  }

  /**
   * Sends a message that came out of the ladder round once more, as a retry does: once with the library's retry
   * headers (x-death dropped), once naively with every header kept.
   */
  private sendRoundAgain(message: ConsumeMessage): void {
    const { headers, ...properties } = message.properties;
    this.publishDelayed(PROPERTIES_QUEUE, 'retried', PROPERTIES_DELAY_S, { ...properties, headers: retryHeaders(message, 3) });
    this.publishDelayed(PROPERTIES_QUEUE, 'retried-with-x-death', PROPERTIES_DELAY_S, { ...properties, headers });
  }

  firstArrival(messageId: string): Arrival | undefined {
    return this.arrivals.get(messageId)?.[0];
  }

  /** Milliseconds from publish to arrival. */
  elapsed(messageId: string): number {
    return this.firstArrival(messageId)!.at - this.publishedAt.get(messageId)!;
  }

  async arrivalOf(messageId: string, timeoutMs: number): Promise<Arrival> {
    await eventually(() => this.arrivals.has(messageId), `${messageId} delivered`, timeoutMs);
    return this.firstArrival(messageId)!;
  }

  /**
   * Waits until none of `queues` holds a message, ready or unacked: whatever the broker routed through them has been
   * delivered, acked and recorded (or dropped by the broker).
   */
  async emptied(queues: string[], what: string): Promise<void> {
    await eventually(
      async () => {
        const listed = await rabbitmqctl('list_queues', '-p', this.vhost.name, '--no-table-headers', 'name', 'messages');
        const depth = new Map(listed.split('\n').map((line) => line.trim().split(/\s+/) as [string, string]));
        return queues.every((queue) => depth.get(queue) === '0');
      },
      what,
      20_000,
    );
  }

  /** Message ids that reached `queue`, once per delivery. */
  receivedBy(queue: string): string[] {
    return [...this.arrivals.entries()].flatMap(([id, list]) => list.filter((a) => a.queue === queue).map(() => id));
  }
}

const QUEUE_TYPES: QueueType[] = ['quorum', 'classic'];
const runs = new Map<QueueType, LadderRun>();

// Both queue types run at the same time, each in its own vhost.
beforeAll(async () => {
  const started = await Promise.allSettled(QUEUE_TYPES.map((queueType) => LadderRun.start(queueType, (run) => runs.set(queueType, run))));
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
});

afterAll(async () => {
  await Promise.all([...runs.values()].map((run) => run.stop()));
});

describe.each(QUEUE_TYPES)('delay ladder delivering to %s handler queues', (queueType) => {
  let ladder: LadderRun;
  beforeAll(() => {
    ladder = runs.get(queueType)!;
  });

  it('delivers a 3 s delay on time while a 60 s delay published just before it still waits in level 05', async () => {
    await ladder.arrivalOf('short-3s', 3000 + TOLERANCE_MS + 2000);
    expect(ladder.elapsed('short-3s')).toBeGreaterThanOrEqual(3000);
    expect(ladder.elapsed('short-3s')).toBeLessThanOrEqual(3000 + TOLERANCE_MS);
    // 60 = 32 + 16 + 8 + 4: its first stop is the 32 s level, where it sat when the short one came out.
    expect(ladder.arrivals.has('long-60s')).toBe(false);
    expect(await ladder.level05WhenShortArrived).toBe(1);
  });

  it('lets shorter delays overtake longer ones published before them, each on time', async () => {
    const longest = Math.max(...REVERSE_ORDER_DELAYS_S);
    for (const seconds of REVERSE_ORDER_DELAYS_S) await ladder.arrivalOf(`order-${seconds}s`, longest * 1000 + TOLERANCE_MS + 2000);

    const byArrival = [...REVERSE_ORDER_DELAYS_S].sort(
      (a, b) => ladder.firstArrival(`order-${a}s`)!.at - ladder.firstArrival(`order-${b}s`)!.at,
    );
    expect(byArrival).toEqual([1, 2, 5, 7]);
    for (const seconds of REVERSE_ORDER_DELAYS_S) {
      const ms = ladder.elapsed(`order-${seconds}s`);
      expect({ seconds, ms, onTime: ms >= seconds * 1000 && ms <= seconds * 1000 + TOLERANCE_MS }).toEqual({ seconds, ms, onTime: true });
    }
  });

  it('delivers to x.y only what was routed to x.y, and to b.x.y only what was routed to b.x.y', async () => {
    await ladder.arrivalOf(`to-${SHORT_NAME}`, 1000 + TOLERANCE_MS + 2000);
    await ladder.arrivalOf(`to-${LONG_NAME}`, 1000 + TOLERANCE_MS + 2000);
    // A leaked copy is routed by the same delivery exchange at the same moment: once the last level and both queues
    // are empty, it would have been recorded.
    await ladder.emptied([ladder.names.delayLevelQueue(0), SHORT_NAME, LONG_NAME], 'level 00, x.y and b.x.y emptied');

    expect(ladder.receivedBy(SHORT_NAME)).toEqual([`to-${SHORT_NAME}`]);
    expect(ladder.receivedBy(LONG_NAME)).toEqual([`to-${LONG_NAME}`]);
  });

  it("keeps body, message id, correlation and attempts unchanged through the ladder, adding only the broker's death headers", async () => {
    const { message } = await ladder.arrivalOf('properties', PROPERTIES_DELAY_S * 1000 + TOLERANCE_MS + 2000);
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
    expect(headers['x-first-death-queue']).toBe(ladder.names.delayLevelQueue(1));
    // One hop per set bit of 3 s (2 + 1), newest first, each by expiry: no other level held it.
    const hops = (headers['x-death'] ?? []).map((death) => [death.queue, death.reason, death.count]);
    expect(hops).toEqual([
      [ladder.names.delayLevelQueue(0), 'expired', 1],
      [ladder.names.delayLevelQueue(1), 'expired', 1],
    ]);
    expect(ladder.arrivals.get('properties')).toHaveLength(1);
  });

  it('takes a retried copy round the ladder again on time, because the retry headers drop the x-death the broker added', async () => {
    await ladder.arrivalOf('properties', PROPERTIES_DELAY_S * 1000 + TOLERANCE_MS + 2000);
    const retried = await ladder.arrivalOf('retried', PROPERTIES_DELAY_S * 1000 + TOLERANCE_MS + 2000);
    expect(ladder.elapsed('retried')).toBeGreaterThanOrEqual(PROPERTIES_DELAY_S * 1000);
    expect(ladder.elapsed('retried')).toBeLessThanOrEqual(PROPERTIES_DELAY_S * 1000 + TOLERANCE_MS);
    expect(retried.message.content.equals(BODY)).toBe(true);
    expect(retried.message.properties.headers![MessageHeaders.attempts]).toBe(3);
    // Why dropping x-death matters: the same copy with it kept is dead-lettered into delay.level.00 a second time
    // with no rejection in between, which the broker takes for a dead-letter cycle and silently drops.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(ladder.arrivals.has('retried-with-x-death')).toBe(false);
  });
});

function withoutKeys(record: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([key]) => !keys.includes(key)));
}
