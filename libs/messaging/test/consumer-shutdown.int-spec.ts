// Integration: app.close() drains consumers. Handlers in flight finish and ack, no new delivery is taken, and a handler
// that hangs is abandoned after shutdownTimeoutMs, its message going back to the queue for the next consumer.
import { Inject, Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { IsBoolean, IsInt, Min } from 'class-validator';
import { MessageContext, MessageHandler, ConsumerSupervisor, MessagePublisher, MessagingModule } from '@app/messaging';
import { createTestVhost, eventually, type TestVhost } from '../../../test/support/test-broker';
import { sleep } from '../../../test/support/queue-observer';

class ReportFiled {
  static readonly messageType = 'report.filed';
  static readonly schemaVersion = 1;
  @IsInt() @Min(0) n!: number;
  /** The handler hangs on it, in an app told to. */
  @IsBoolean() hang!: boolean;
}

const SERVICE = 'archive';
const QUEUE = `${SERVICE}.${ReportFiled.messageType}`;
const HANDLER_MS = 300;
const PREFETCH = 10;
const HANGS = Symbol('HANGS');

/** Releases handlers still hanging when the file ends, so that nothing is left pending. */
const hanging = new Set<() => void>();

interface Handled {
  n: number;
  messageId: string;
  redeliveries: number;
}

@Injectable()
class ReportHandler {
  readonly started: Handled[] = [];
  readonly handled: Handled[] = [];

  constructor(@Inject(HANGS) private readonly hangs: boolean) {}

  @MessageHandler(ReportFiled, { prefetch: PREFETCH })
  async file(message: ReportFiled, context: MessageContext): Promise<void> {
    const seen = { n: message.n, messageId: context.messageId, redeliveries: context.redeliveries };
    this.started.push(seen);
    if (message.hang && this.hangs) await new Promise<void>((resolve) => hanging.add(resolve));
    else await sleep(HANDLER_MS);
    this.handled.push(seen);
  }
}

describe('consumer shutdown', () => {
  let vhost: TestVhost;
  const apps = new Set<INestApplication>();

  beforeAll(async () => {
    vhost = await createTestVhost('consumer-shutdown');
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    for (const release of hanging) release();
    await vhost?.delete();
  });

  async function startConsumer(options: { shutdownTimeoutMs: number; hangs: boolean }): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({ url: vhost.url, serviceName: SERVICE, delay: 'ladder', shutdownTimeoutMs: options.shutdownTimeoutMs }),
      ],
      providers: [ReportHandler, { provide: HANGS, useValue: options.hangs }],
    }).compile();
    const app = moduleRef.createNestApplication();
    apps.add(app);
    await app.init();
    await app.get(ConsumerSupervisor).waitUntilReady();
    return app;
  }

  async function close(app: INestApplication): Promise<number> {
    const started = Date.now();
    await app.close();
    apps.delete(app);
    return Date.now() - started;
  }

  async function readyInQueue(): Promise<number> {
    const connection = await vhost.connect();
    try {
      return (await (await connection.createChannel()).checkQueue(QUEUE)).messageCount;
    } finally {
      await connection.close();
    }
  }

  it('lets in-flight handlers finish and ack, and leaves undelivered messages in the queue for the next consumer', async () => {
    const shutdownTimeoutMs = 5000;
    const first = await startConsumer({ shutdownTimeoutMs, hangs: false });
    const publisher = first.get(MessagePublisher);
    await Promise.all(Array.from({ length: 20 }, (_, n) => publisher.publish(ReportFiled, { n, hang: false })));
    const firstHandler = first.get(ReportHandler);
    await eventually(() => firstHandler.started.length === PREFETCH, `${PREFETCH} handlers in flight`);

    const closeMs = await close(first);
    expect(firstHandler.handled).toHaveLength(PREFETCH);
    expect(firstHandler.started).toHaveLength(PREFETCH);
    // It waited for the handlers (HANDLER_MS), not for the timeout.
    expect(closeMs).toBeLessThan(shutdownTimeoutMs);
    expect(await readyInQueue()).toBe(20 - PREFETCH);

    const second = await startConsumer({ shutdownTimeoutMs, hangs: false });
    const secondHandler = second.get(ReportHandler);
    await eventually(() => secondHandler.handled.length >= 20 - PREFETCH, 'the rest handled by the next consumer');
    await sleep(2 * HANDLER_MS); // a redelivery of an already acked message would arrive by now
    await close(second);

    const all = [...firstHandler.handled, ...secondHandler.handled];
    expect(all).toHaveLength(20);
    expect(new Set(all.map((handled) => handled.n))).toEqual(new Set(Array.from({ length: 20 }, (_, n) => n)));
    expect(new Set(all.map((handled) => handled.messageId)).size).toBe(20);
    expect(secondHandler.handled.filter((handled) => handled.redeliveries > 0)).toEqual([]);
    expect(await readyInQueue()).toBe(0);
  });

  it('abandons a hanging handler after shutdownTimeoutMs, and its message is redelivered to the next consumer', async () => {
    const shutdownTimeoutMs = 1000;
    const first = await startConsumer({ shutdownTimeoutMs, hangs: true });
    const receipt = await first.get(MessagePublisher).publish(ReportFiled, { n: 100, hang: true });
    const firstHandler = first.get(ReportHandler);
    await eventually(() => firstHandler.started.some((seen) => seen.messageId === receipt.messageId), 'the hanging handler started');

    const closeMs = await close(first);
    expect(closeMs).toBeGreaterThanOrEqual(shutdownTimeoutMs - 50);
    expect(closeMs).toBeLessThan(shutdownTimeoutMs + 3000);
    expect(firstHandler.handled).toHaveLength(0);
    expect(await readyInQueue()).toBe(1);

    const second = await startConsumer({ shutdownTimeoutMs, hangs: false });
    const secondHandler = second.get(ReportHandler);
    await eventually(
      () => secondHandler.handled.some((seen) => seen.messageId === receipt.messageId),
      'the message handled after redelivery',
    );
    const redelivered = secondHandler.handled.find((seen) => seen.messageId === receipt.messageId)!;
    expect(redelivered.redeliveries).toBeGreaterThanOrEqual(1);
    await close(second);
    expect(await readyInQueue()).toBe(0);
  });
});
