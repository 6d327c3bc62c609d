// Integration: the broker closes the connection mid-stream; the library reconnects, re-declares, resumes, loses nothing.
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { IsInt } from 'class-validator';
import { MessageContext, MessageHandler, ConsumerSupervisor, MessagePublisher, MessagingModule } from '@app/messaging';
import { closeConnectionsNamed, createTestVhost, eventually, type TestVhost } from '../../../test/support/test-broker';

class TickSent {
  static readonly messageType = 'tick.sent';
  static readonly schemaVersion = 1;
  @IsInt() n!: number;
}

@Injectable()
class TickHandler {
  readonly seen = new Set<number>();
  deliveries = 0;

  @MessageHandler(TickSent, { prefetch: 5 })
  async onTick(message: TickSent, _context: MessageContext): Promise<void> {
    this.deliveries++;
    await new Promise((resolve) => setTimeout(resolve, 2));
    this.seen.add(message.n);
  }
}

describe('reconnection', () => {
  let vhost: TestVhost;
  let app: INestApplication;

  beforeAll(async () => {
    vhost = await createTestVhost('reconnect');
    const moduleRef = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({
          url: vhost.url,
          serviceName: 'reconnecting',
          delay: 'ladder',
          reconnect: { initialDelayMs: 100, maxDelayMs: 1000 },
          publishTimeoutMs: 20_000,
        }),
      ],
      providers: [TickHandler],
    }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
    await app.get(ConsumerSupervisor).waitUntilReady();
  });

  afterAll(async () => {
    await app?.close();
    await vhost?.delete();
  });

  it('resumes consuming after the broker closes the connection, and no message is lost', async () => {
    const publisher = app.get(MessagePublisher);
    const handler = app.get(TickHandler);
    const total = 300;
    const publishes: Promise<unknown>[] = [];
    for (let n = 0; n < total; n++) {
      publishes.push(publisher.publish(TickSent, { n }));
      if (n === 100) {
        // Mid-stream: the broker drops the connection while publishes and deliveries are in flight.
        await eventually(() => handler.seen.size > 20, 'some ticks handled before the cut');
        expect(await closeConnectionsNamed(vhost.name, 'reconnecting')).toBe(1);
      }
    }
    await Promise.all(publishes);
    await eventually(() => handler.seen.size === total, `all ${total} ticks handled (have ${handler.seen.size})`, 30_000);
    expect([...handler.seen].sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i));
    await app.get(ConsumerSupervisor).waitUntilReady();
    expect(app.get(ConsumerSupervisor).isConsuming).toBe(true);
  });
});
