// Integration: a dependency the application adds itself (a payment API, watched by a DependencyMonitor) and a handler
// that lists it in dependsOn. While it is down the handler's consumer is paused (the messages wait in the queue,
// readiness says why) and a delivery whose handler failed because it went away is deferred without counting an
// attempt; once it is back everything is handled, at its first attempt, and nothing is dead-lettered.
import { Injectable, type INestApplication, type OnModuleInit } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { ChannelModel } from 'amqplib';
import { IsInt, Min } from 'class-validator';
import {
  ConsumerSupervisor,
  Dependencies,
  DependencyMonitor,
  MessageContext,
  MessageHandler,
  MessagePublisher,
  MessagingModule,
  TransientError,
} from '@app/messaging';
import { ConsumersReadiness } from '@app/messaging/health/messaging-readiness';
import { createTestVhost, eventually, type TestVhost } from '../../../test/support/test-broker';

class ChargeRequested {
  static readonly messageType = 'charge.requested';
  static readonly schemaVersion = 1;
  @IsInt() @Min(0) n!: number;
}

const SERVICE = 'dependency-pause';
const QUEUE = `${SERVICE}.charge.requested`;

/** The payment API as the application sees it: up or down, as the test says. */
@Injectable()
class PaymentsApi implements OnModuleInit {
  up = true;
  readonly monitor = new DependencyMonitor({
    name: 'payments-api',
    probe: () => (this.up ? Promise.resolve() : Promise.reject(new Error('payments API: 503'))),
    freshForMs: 0,
  });

  constructor(private readonly dependencies: Dependencies) {}

  async onModuleInit(): Promise<void> {
    this.dependencies.add(this.monitor);
    await this.monitor.start();
  }
}

@Injectable()
class ChargeHandler {
  readonly charged: Array<{ n: number; attempt: number }> = [];
  /** Called while the handler runs: the test takes the API away under it. */
  duringCharge?: () => void;

  constructor(private readonly payments: PaymentsApi) {}

  @MessageHandler(ChargeRequested, { dependsOn: ['payments-api'] })
  async onCharge(charge: ChargeRequested, context: MessageContext): Promise<void> {
    this.duringCharge?.();
    await Promise.resolve();
    // The API's own client error, as a handler would throw it: nothing in it says "outage".
    if (!this.payments.up) throw new TransientError('payment failed');
    this.charged.push({ n: charge.n, attempt: context.attempt });
  }
}

describe('a handler that depends on a dependency of the application', () => {
  let vhost: TestVhost;
  let app: INestApplication;
  let broker: ChannelModel;
  let payments: PaymentsApi;
  let handler: ChargeHandler;
  let publisher: MessagePublisher;

  beforeAll(async () => {
    vhost = await createTestVhost('dependency-pause');
    const moduleRef = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({
          url: vhost.url,
          serviceName: SERVICE,
          queueType: 'classic',
          delay: 'ladder',
          // No retry at all: a failure that counted would dead-letter at once.
          retry: { maxAttempts: 1 },
        }),
      ],
      providers: [PaymentsApi, ChargeHandler],
    }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
    await app.get(ConsumerSupervisor).waitUntilReady();
    payments = app.get(PaymentsApi);
    handler = app.get(ChargeHandler);
    publisher = app.get(MessagePublisher);
    broker = await vhost.connect();
  });

  afterAll(async () => {
    await broker?.close().catch(() => undefined);
    await app?.close();
    await vhost?.delete();
  });

  async function depth(queue: string): Promise<number> {
    const channel = await broker.createChannel();
    try {
      return (await channel.checkQueue(queue)).messageCount;
    } finally {
      await channel.close();
    }
  }

  it('pauses its consumer while the dependency is down, and handles what waited once it is back', async () => {
    await publisher.publish(ChargeRequested, { n: 0 });
    await eventually(() => handler.charged.length === 1, 'the first charge');

    payments.up = false;
    await payments.monitor.checkNow();
    for (let n = 1; n <= 5; n++) await publisher.publish(ChargeRequested, { n });
    await eventually(async () => (await depth(QUEUE)) === 5, 'the charges waiting in the queue');
    expect(app.get(ConsumersReadiness).checkReadiness()).toMatchObject({
      up: false,
      details: { message: 'consumers paused: waiting for payments-api', paused: [{ queue: QUEUE, waitingFor: ['payments-api'] }] },
    });
    expect(handler.charged).toHaveLength(1);

    payments.up = true;
    await payments.monitor.checkNow();
    await eventually(() => handler.charged.length === 6, 'the charges that waited');

    expect(handler.charged.map((charge) => charge.attempt)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(app.get(ConsumersReadiness).checkReadiness()).toMatchObject({ up: true });
    expect(await depth(`${QUEUE}.dlq`)).toBe(0);
  });

  it('defers a delivery whose handler failed because the dependency went away during its run, without counting an attempt', async () => {
    const before = handler.charged.length;
    handler.duringCharge = () => {
      handler.duringCharge = undefined;
      payments.up = false; // gone while this charge runs; the step sees it when the handler fails
      setTimeout(() => {
        payments.up = true;
        void payments.monitor.checkNow();
      }, 1500);
    };

    await publisher.publish(ChargeRequested, { n: 99 });
    await eventually(() => handler.charged.length === before + 1, 'the charge, once the API is back', 15_000);

    expect(handler.charged[before]).toEqual({ n: 99, attempt: 1 });
    expect(await depth(`${QUEUE}.dlq`)).toBe(0);
  });
});
