// Integration: the module against the real broker — round trip, validation at both ends, correlation, confirms.
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { IsInt, IsString, Min } from 'class-validator';
import {
  MessageContext,
  MessageHandler,
  ConsumerSupervisor,
  MessagePublisher,
  MessageValidationError,
  MessagingModule,
  PublishError,
  runWithCorrelation,
} from '@app/messaging';
import { createTestVhost, eventually, getOne, rabbitmqctl, type TestVhost } from '../../../test/support/test-broker';
import { QueueObserver } from '../../../test/support/queue-observer';

class PingSent {
  static readonly messageType = 'ping.sent';
  static readonly schemaVersion = 1;
  @IsString() text!: string;
  @IsInt() @Min(0) hops!: number;
}

class PongSent {
  static readonly messageType = 'pong.sent';
  static readonly schemaVersion = 2;
  @IsString() text!: string;
}

/** Handled after a pause that depends on `seq`, so that a burst of them finishes out of delivery order. */
class BurstItem {
  static readonly messageType = 'burst.item';
  static readonly schemaVersion = 1;
  @IsInt() @Min(0) seq!: number;
}

interface Seen {
  message: object;
  context: MessageContext;
}

@Injectable()
class PingHandler {
  readonly pings: Seen[] = [];
  readonly pongs: Seen[] = [];
  constructor(private readonly publisher: MessagePublisher) {}

  @MessageHandler(PingSent)
  async onPing(message: PingSent, context: MessageContext): Promise<void> {
    this.pings.push({ message, context });
    await this.publisher.publish(PongSent, { text: `re: ${message.text}` });
  }

  @MessageHandler(PongSent)
  onPong(message: PongSent, context: MessageContext): void {
    this.pongs.push({ message, context });
  }

  readonly burst: number[] = [];

  @MessageHandler(BurstItem, { prefetch: 50 })
  async onBurst(message: BurstItem): Promise<void> {
    if (message.seq % 3 !== 0) await new Promise((resolve) => setTimeout(resolve, (message.seq * 7) % 23));
    this.burst.push(message.seq);
  }
}

describe('MessagingModule against RabbitMQ', () => {
  let vhost: TestVhost;
  let app: INestApplication;
  let handler: PingHandler;
  let publisher: MessagePublisher;

  beforeAll(async () => {
    vhost = await createTestVhost('round-trip');
    const moduleRef = await Test.createTestingModule({
      imports: [MessagingModule.forRoot({ url: vhost.url, serviceName: 'rt', queueType: 'classic', delay: 'ladder' })],
      providers: [PingHandler],
    }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
    await app.get(ConsumerSupervisor).waitUntilReady();
    handler = app.get(PingHandler);
    publisher = app.get(MessagePublisher);
  });

  afterAll(async () => {
    await app?.close();
    await vhost?.delete();
  });

  it('delivers a published message to its handler as a validated instance, with envelope and ids', async () => {
    const receipt = await publisher.publish(PingSent, { text: 'hello', hops: 1 });
    await eventually(() => handler.pings.some((p) => p.context.messageId === receipt.messageId), 'ping handled');
    const seen = handler.pings.find((p) => p.context.messageId === receipt.messageId)!;
    expect(seen.message).toBeInstanceOf(PingSent);
    expect(seen.message).toEqual(Object.assign(new PingSent(), { text: 'hello', hops: 1 }));
    expect(seen.context.messageType).toBe('ping.sent');
    expect(seen.context.schemaVersion).toBe(1);
    expect(seen.context.attempt).toBe(1);
    expect(seen.context.correlationId).toBe(receipt.correlationId);
    expect(seen.context.queue).toBe('rt.ping.sent');
  });

  it('carries the correlation id across two hops and sets the causation id to the handled message', async () => {
    const correlationId = `corr-${Date.now()}`;
    const receipt = await runWithCorrelation({ correlationId }, () => publisher.publish(PingSent, { text: 'chain', hops: 2 }));
    await eventually(() => handler.pongs.some((p) => p.context.correlationId === correlationId), 'pong handled');
    const pong = handler.pongs.find((p) => p.context.correlationId === correlationId)!;
    expect(receipt.correlationId).toBe(correlationId);
    expect(pong.context.causationId).toBe(receipt.messageId);
    expect(pong.context.schemaVersion).toBe(2);
    expect(pong.message).toEqual(Object.assign(new PongSent(), { text: 're: chain' }));
  });

  it('refuses an invalid message at publish with the reasons, and sends nothing', async () => {
    // A queue of the test's own on the exchange sees whatever reaches the broker (a message sent invalid would be
    // dead-lettered at consume and never reach the handler, so counting handler calls would prove nothing).
    const observer = await QueueObserver.open(vhost.url, `observer.invalid-${randomUUID()}`, { routingKey: 'ping.sent' });
    try {
      const attempt = publisher.publish(PingSent, { text: 42, hops: -1 } as unknown as PingSent);
      await expect(attempt).rejects.toBeInstanceOf(MessageValidationError);
      await expect(attempt).rejects.toThrow(/text: text must be a string; hops: hops must not be less than 0/);
      // The publisher's channel keeps its order: once a later valid message is on the queue, an earlier one would be too.
      const marker = await publisher.publish(PingSent, { text: 'after the invalid one', hops: 0 });
      await eventually(async () => (await observer.depth()) >= 1, 'the valid message after the invalid one on the queue');
      const seen = await observer.drain();
      expect(seen.map((message) => String(message.properties.messageId))).toEqual([marker.messageId]);
    } finally {
      await observer.delete();
    }
  });

  it('dead-letters a message that fails validation at consume, with the reason in its headers', async () => {
    const connection = await vhost.connect();
    try {
      const channel = await connection.createConfirmChannel();
      const body = Buffer.from(JSON.stringify({ text: 'no hops' }));
      channel.publish('domain.events', 'ping.sent', body, { messageId: 'bad-1', type: 'ping.sent', contentType: 'application/json' });
      await channel.waitForConfirms();
      const dead = await getOne(connection, 'rt.ping.sent.dlq');
      expect(dead.properties.messageId).toBe('bad-1');
      expect(dead.content.equals(body)).toBe(true);
      expect(dead.properties.headers?.['x-error-type']).toBe('validation');
      expect(String(dead.properties.headers?.['x-error-message'])).toMatch(/hops/);
      expect(dead.properties.headers?.['x-original-queue']).toBe('rt.ping.sent');
      expect(dead.properties.headers?.['x-handler']).toBe('PingHandler.onPing');
      expect(handler.pings.some((p) => p.context.messageId === 'bad-1')).toBe(false);
    } finally {
      await connection.close();
    }
  });

  it('acks a burst handled out of order: each message once, none left unacked, the channel kept', async () => {
    const count = 400;
    await Promise.all(Array.from({ length: count }, (_, seq) => publisher.publish(BurstItem, { seq })));
    await eventually(() => handler.burst.length >= count, 'the burst handled', 20_000);
    // A wrong ack (twice, or of an unknown delivery) closes the channel and the broker redelivers: duplicates would
    // show. Settled means nothing ready and nothing unacked on the queue.
    await eventually(
      async () =>
        /^rt\.burst\.item\s+0\s+0$/m.test(
          await rabbitmqctl('list_queues', '-p', vhost.name, 'name', 'messages_ready', 'messages_unacknowledged'),
        ),
      'every delivery of the burst acked',
      20_000,
    );
    expect([...handler.burst].sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, seq) => seq));
    expect(handler.burst).not.toEqual([...handler.burst].sort((a, b) => a - b));
  });

  it('resolves a publish only after the broker has confirmed it', async () => {
    // A message confirmed by the broker is on its queue: with consumers of this type absent, it must be there.
    const connection = await vhost.connect();
    try {
      const channel = await connection.createChannel();
      await channel.assertQueue('observer.pong', { durable: false, exclusive: true });
      await channel.bindQueue('observer.pong', 'domain.events', 'pong.sent');
      await publisher.publish(PongSent, { text: 'confirmed' });
      const check = await channel.checkQueue('observer.pong');
      expect(check.messageCount).toBe(1);
    } finally {
      await connection.close();
    }
  });

  it('rejects a publish the broker nacks (its only queue refuses it), after the bound, with PublishError', async () => {
    // A publish that resolved on the socket write, before the broker's answer, would resolve here.
    const type = `refused.${randomUUID()}`;
    const connection = await vhost.connect();
    try {
      const channel = await connection.createChannel();
      const queue = `observer.full-${randomUUID()}`;
      await channel.assertQueue(queue, { exclusive: true, arguments: { 'x-max-length': 0, 'x-overflow': 'reject-publish' } });
      await channel.bindQueue(queue, 'domain.events', type);
      const outgoing = await publisher.prepare(PongSent, { text: 'refused' });
      const startedAt = Date.now();
      await expect(publisher.send({ ...outgoing, routingKey: type }, 1_500)).rejects.toThrow(PublishError);
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1_400);
      expect((await channel.checkQueue(queue)).messageCount).toBe(0);
    } finally {
      await connection.close();
    }
  });

  it('rejects at once a publish to an exchange the broker does not have, and publishes again afterwards', async () => {
    const outgoing = await publisher.prepare(PongSent, { text: 'nowhere' });
    await expect(publisher.send({ ...outgoing, exchange: `missing-${randomUUID()}` }, 10_000)).rejects.toThrow(/was not confirmed/);
    await expect(publisher.publish(PongSent, { text: 'after the refusal' })).resolves.toMatchObject({ messageId: expect.any(String) });
  });
});
