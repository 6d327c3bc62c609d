// Fault: Redis (a server of this file's own: the machine's shared one is never touched) stops while a steady stream of
// messages reaches an @Idempotent({ store: 'redis' }) handler, and starts again a few seconds later. Its consumer
// pauses and readiness names Redis; nothing is lost, nothing is handled twice, no attempt is used up and nothing is
// dead-lettered, though the handler gives a message only one retry; ready again within 5 s of Redis.
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { ChannelModel } from 'amqplib';
import { IsInt, Min } from 'class-validator';
import { ConsumerSupervisor, Idempotent, MessageContext, MessageHandler, MessagePublisher, MessagingModule } from '@app/messaging';
import { RedisIdempotencyModule } from '@app/persistence';
import { HealthModule } from '@app/service-kit';
import { PrivateRedis } from '../../../test/support/private-redis';
import { createTestVhost, eventually, type TestVhost } from '../../../test/support/test-broker';

class LedgerEntry {
  static readonly messageType = 'ledger.entry';
  static readonly schemaVersion = 1;
  @IsInt() @Min(0) n!: number;
}

const MESSAGES = 300;
const EVERY_MS = 20;
const STOP_AFTER_MS = 1500;
const OUTAGE_MS = 3000;
const READY_AGAIN_WITHIN_MS = 5000;
const SERVICE = 'redis-outage';

@Injectable()
class LedgerHandler {
  readonly handled: Array<{ n: number; attempt: number }> = [];

  @MessageHandler(LedgerEntry, { prefetch: 10 })
  @Idempotent({ store: 'redis' })
  async onEntry(entry: LedgerEntry, context: MessageContext): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 2)); // a call of its own, so that some are in flight at the stop
    this.handled.push({ n: entry.n, attempt: context.attempt });
  }
}

// At the top level: its afterAll runs after the describe's, once the application has closed.
const redis = PrivateRedis.forTestFile();

interface Running {
  app: INestApplication;
  baseUrl: string;
  handler: LedgerHandler;
}

describe('Redis down under the Redis idempotency store', () => {
  let vhost: TestVhost;
  let broker: ChannelModel | undefined;
  const apps: INestApplication[] = [];

  beforeAll(async () => {
    vhost = await createTestVhost('redis-outage');
    broker = await vhost.connect();
  }, 60_000);

  afterAll(async () => {
    await broker?.close().catch(() => undefined);
    for (const app of apps) await app.close();
    await vhost?.delete();
  }, 60_000);

  /** An application with the handler, its Redis store on the file's server, and /health, listening on a free port. */
  async function startApp(serviceName: string): Promise<Running> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({
          url: vhost.url,
          serviceName,
          delay: 'ladder',
          // One retry only: an outage that used up attempts would dead-letter at once.
          retry: { maxAttempts: 2, backoff: { initialMs: 200, jitter: 'none' } },
        }),
        RedisIdempotencyModule.forRoot({ url: redis.server.url, prefix: `${serviceName}-${process.pid}` }),
        HealthModule,
      ],
      providers: [LedgerHandler],
    }).compile();
    const app = moduleRef.createNestApplication();
    apps.push(app);
    await app.listen(0, '127.0.0.1');
    return { app, baseUrl: await app.getUrl(), handler: app.get(LedgerHandler) };
  }

  async function readiness(
    baseUrl: string,
  ): Promise<{ status: number; body: { error?: Record<string, { status: string; message?: string }> } }> {
    const response = await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(5000) });
    return { status: response.status, body: (await response.json()) as { error?: Record<string, { status: string }> } };
  }

  async function deadLetters(serviceName: string): Promise<number> {
    const channel = await broker!.createChannel();
    try {
      return (await channel.checkQueue(`${serviceName}.ledger.entry.dlq`)).messageCount;
    } finally {
      await channel.close();
    }
  }

  it('during a steady stream: pauses, names Redis, then handles every message once, at its first attempt, with no dead letter', async () => {
    const { app, baseUrl, handler } = await startApp(SERVICE);
    await app.get(ConsumerSupervisor).waitUntilReady();
    const publisher = app.get(MessagePublisher);
    const publishing = (async () => {
      for (let n = 0; n < MESSAGES; n++) {
        await publisher.publish(LedgerEntry, { n });
        await sleep(EVERY_MS);
      }
    })();

    await sleep(STOP_AFTER_MS);
    await redis.server.stop();
    const handledAtStop = handler.handled.length;
    await eventually(async () => (await readiness(baseUrl)).status === 503, 'readiness down while Redis is away', 5000);
    const down = await readiness(baseUrl);
    expect(down.body.error).toMatchObject({
      redis: { status: 'down' },
      consumers: { status: 'down', message: 'consumers paused: waiting for redis' },
    });

    await sleep(OUTAGE_MS);
    const handledDuringOutage = handler.handled.length - handledAtStop;
    await redis.server.start();
    const startedAt = Date.now();
    await eventually(async () => (await readiness(baseUrl)).status === 200, 'ready again once Redis is back', READY_AGAIN_WITHIN_MS);
    const readyAgainAfterMs = Date.now() - startedAt;

    await publishing;
    await eventually(() => handler.handled.length >= MESSAGES, `all ${MESSAGES} messages handled`, 30_000);
    await sleep(500); // anything handled twice would show by now
    const ns = handler.handled.map((entry) => entry.n);

    expect(handledDuringOutage).toBeLessThanOrEqual(10); // at most those already past their claim: the consumer paused
    expect(ns).toHaveLength(MESSAGES);
    expect(new Set(ns).size).toBe(MESSAGES);
    expect(new Set(handler.handled.map((entry) => entry.attempt))).toEqual(new Set([1]));
    expect(await deadLetters(SERVICE)).toBe(0);
    expect(readyAgainAfterMs).toBeLessThan(READY_AGAIN_WITHIN_MS);
  }, 60_000);

  it('at start: starts without Redis, not ready and not consuming, and handles what waited once Redis is up', async () => {
    await redis.server.stop();
    const { app, baseUrl, handler } = await startApp('redis-start');
    const publisher = app.get(MessagePublisher);
    await eventually(async () => (await readiness(baseUrl)).body.error?.consumers?.status === 'down', 'consumers paused at start', 5000);
    expect((await readiness(baseUrl)).body.error).toMatchObject({ redis: { status: 'down' } });
    // Its queue is declared though the consumer waits: what is published waits in it.
    await app.get(ConsumerSupervisor).waitUntilReady();
    await publisher.publish(LedgerEntry, { n: 1 });
    await sleep(500);
    expect(handler.handled).toEqual([]);

    await redis.server.start();
    const startedAt = Date.now();
    await eventually(async () => (await readiness(baseUrl)).status === 200, 'ready once Redis is up', READY_AGAIN_WITHIN_MS);
    expect(Date.now() - startedAt).toBeLessThan(READY_AGAIN_WITHIN_MS);
    await eventually(() => handler.handled.length === 1, 'the waiting message handled', 10_000);

    expect(handler.handled).toEqual([{ n: 1, attempt: 1 }]);
    expect(await deadLetters('redis-start')).toBe(0);
  }, 60_000);
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
