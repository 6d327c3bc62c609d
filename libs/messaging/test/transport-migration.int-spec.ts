// Integration: an application written the usual way for Nest's Transport.RMQ (@EventPattern, @MessagePattern answered
// through ClientProxy.send, @Payload, @Ctx) runs unchanged on the library's transport: only its transport and client
// options change. Run both ways against RabbitMQ; then, on the library's transport, it gains retries and dead letters.
import { BadRequestException, Controller, Inject, Injectable, type DynamicModule, type INestApplication } from '@nestjs/common';
import {
  ClientProxy,
  ClientsModule,
  Ctx,
  EventPattern,
  MessagePattern,
  Payload,
  RmqContext,
  Transport,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { IsArray, IsInt, IsString } from 'class-validator';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { ConsumerSupervisor, MessagingClientsModule, MessagingModule, MessagingTransport, MessagingTransportModule } from '@app/messaging';
import { createTestVhost, eventually, getOne, type TestVhost } from '../../../test/support/test-broker';
import { QueueObserver } from '../../../test/support/queue-observer';

// ---- The application, as written for Transport.RMQ. Nothing in this part changes between the two runs. ----

class SumRequest {
  numbers!: number[];
}

class OrderRecorded {
  orderId!: string;
}

@Controller()
class MathController {
  readonly recorded: Array<{ orderId: string; pattern: string }> = [];
  readonly calls = new Map<string, number>();

  @MessagePattern('math.sum')
  sum(@Payload() data: SumRequest): number {
    return data.numbers.reduce((total, n) => total + n, 0);
  }

  // Nest 12's typings of a string event pattern want the parameters after the first to take `unknown` (strict mode).
  @EventPattern<string>('order.recorded')
  record(@Payload() data: OrderRecorded, @Ctx() context: RmqContext): void {
    const calls = (this.calls.get(data.orderId) ?? 0) + 1;
    this.calls.set(data.orderId, calls);
    if (data.orderId.startsWith('flaky') && calls === 1) throw new Error('ledger busy, try later');
    if (data.orderId.startsWith('refused')) throw new BadRequestException(`order ${data.orderId} is not ours`);
    this.recorded.push({ orderId: data.orderId, pattern: context.getPattern() });
  }
}

@Injectable()
class MathGateway {
  constructor(@Inject('MATH') private readonly client: ClientProxy) {}

  sum(numbers: number[]): Promise<number> {
    return firstValueFrom(this.client.send<number>('math.sum', { numbers }));
  }

  async record(orderId: string): Promise<void> {
    await lastValueFrom(this.client.emit('order.recorded', { orderId }), { defaultValue: undefined });
  }
}

// ---- What differs: the transport and the client options. ----

/** The library's transport names messages by class: the type names the app uses, with their rules. */
class MathSum {
  static readonly messageType = 'math.sum';
  static readonly schemaVersion = 1;
  @IsArray() @IsInt({ each: true }) numbers!: number[];
}

class OrderRecordedMessage {
  static readonly messageType = 'order.recorded';
  static readonly schemaVersion = 1;
  @IsString() orderId!: string;
}

interface Wiring {
  imports: DynamicModule[];
  microservice: (app: INestApplication) => MicroserviceOptions;
}

function transportRmq(url: string): Wiring {
  const options = { urls: [url], queue: 'math_queue', queueOptions: { durable: false } };
  return {
    imports: [ClientsModule.register([{ name: 'MATH', transport: Transport.RMQ, options }])],
    microservice: () => ({ transport: Transport.RMQ, options }),
  };
}

function libraryTransport(url: string): Wiring {
  return {
    imports: [
      MessagingModule.forRoot({
        url,
        serviceName: 'math',
        queueType: 'classic',
        delay: 'ladder',
        shutdownTimeoutMs: 500,
        retry: { maxAttempts: 3, backoff: { initialMs: 1000, factor: 1, jitter: 'none' } },
      }),
      MessagingTransportModule.forRoot({ messages: [MathSum, OrderRecordedMessage] }),
      MessagingClientsModule.register([{ name: 'MATH' }]),
    ],
    microservice: (app) => ({ strategy: app.get(MessagingTransport) }),
  };
}

async function start(wiring: Wiring): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: wiring.imports,
    controllers: [MathController],
    providers: [MathGateway],
  }).compile();
  const app = moduleRef.createNestApplication();
  app.connectMicroservice<MicroserviceOptions>(wiring.microservice(app));
  await app.startAllMicroservices();
  await app.init();
  return app;
}

describe('Coming from Transport.RMQ', () => {
  let vhost: TestVhost;

  beforeAll(async () => {
    vhost = await createTestVhost('migration');
  });

  afterAll(async () => {
    await vhost?.delete();
  });

  describe.each([
    ['Transport.RMQ', transportRmq],
    ['the library transport', libraryTransport],
  ])('the same application on %s', (_name, wiring) => {
    let app: INestApplication;

    beforeAll(async () => {
      app = await start(wiring(vhost.url));
      if (wiring === libraryTransport) await app.get(ConsumerSupervisor).waitUntilReady();
    });

    afterAll(async () => {
      await app?.close();
    });

    it('answers send() and handles emit(), with @Payload and @Ctx as written', async () => {
      const gateway = app.get(MathGateway);
      const controller = app.get(MathController);
      await expect(gateway.sum([1, 2, 39])).resolves.toBe(42);
      await gateway.record('o-1');
      await eventually(() => controller.recorded.some((entry) => entry.orderId === 'o-1'), 'o-1 recorded');
      expect(controller.recorded.find((entry) => entry.orderId === 'o-1')?.pattern).toBe('order.recorded');
    });
  });

  describe('what the library transport adds', () => {
    let app: INestApplication;

    beforeAll(async () => {
      app = await start(libraryTransport(vhost.url));
      await app.get(ConsumerSupervisor).waitUntilReady();
    });

    afterAll(async () => {
      await app?.close();
    });

    it('retries a transient failure through the delay exchanges, and dead-letters a permanent one with its reason', async () => {
      const gateway = app.get(MathGateway);
      const controller = app.get(MathController);
      await gateway.record('flaky-1');
      await gateway.record('refused-1');
      await eventually(() => controller.recorded.some((entry) => entry.orderId === 'flaky-1'), 'flaky-1 recorded on its retry', 15_000);
      expect(controller.calls.get('flaky-1')).toBe(2);
      const connection = await vhost.connect();
      try {
        const dead = await getOne(connection, 'math.order.recorded.dlq');
        expect(JSON.parse(dead.content.toString())).toEqual({ orderId: 'refused-1' });
        expect(dead.properties.headers).toMatchObject({
          'x-error-type': 'permanent',
          'x-error-message': 'order refused-1 is not ours',
          'x-handler': 'MathController.record',
        });
        expect(controller.calls.get('refused-1')).toBe(1);
      } finally {
        await connection.close();
      }
    });

    it('refuses an invalid message before sending it (validated at both ends)', async () => {
      const invalid = () => app.get(MathGateway).sum(['one', 'two'] as unknown as number[]);
      // A queue of the test's own sees every math.sum request that reaches the exchange: the valid one sent after the
      // invalid one is there only after anything sent before it.
      const observer = await QueueObserver.open(vhost.url, `observer.math-sum-${randomUUID()}`, { routingKey: 'math.sum' });
      try {
        await expect(invalid()).rejects.toThrow(/math.sum is invalid: numbers/);
        await expect(app.get(MathGateway).sum([1, 2])).resolves.toBe(3);
        await eventually(async () => (await observer.depth()) >= 1, 'the valid request on the queue');
        const bodies = (await observer.drain()).map((message) => JSON.parse(message.content.toString()) as unknown);
        expect(bodies).toEqual([{ numbers: [1, 2] }]);
      } finally {
        await observer.delete();
      }
    });
  });
});
