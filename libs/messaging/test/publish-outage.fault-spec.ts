// Fault: publishes while the broker is stopped (rabbitmqctl stop_app). A publish waits for the broker up to its bound:
// it goes out once the broker is back within the bound, and fails with a clear PublishError past it. Runs alone.
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { IsString } from 'class-validator';
import { MessagePublisher, MessagingModule, PublishError } from '@app/messaging';
import { createTestVhost, eventually, rabbitmqctl, restoreBroker, type TestVhost } from '../../../test/support/test-broker';

class PriceChanged {
  static readonly messageType = 'price.changed';
  static readonly schemaVersion = 1;
  @IsString() sku!: string;
}

const OBSERVER = 'observe.price-changed';

describe('publishing across a broker outage', () => {
  let vhost: TestVhost;
  const apps: INestApplication[] = [];

  async function publisherWithTimeout(publishTimeoutMs: number): Promise<MessagePublisher> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({
          url: vhost.url,
          serviceName: `outage-${publishTimeoutMs}`,
          consume: false,
          publishTimeoutMs,
          reconnect: { initialDelayMs: 100, maxDelayMs: 500 },
        }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication();
    await app.init();
    apps.push(app);
    const publisher = app.get(MessagePublisher);
    await publisher.publish(PriceChanged, { sku: 'warm-up' });
    return publisher;
  }

  async function observed(): Promise<string[]> {
    const connection = await vhost.connect();
    try {
      const channel = await connection.createChannel();
      const skus: string[] = [];
      for (;;) {
        const message = await channel.get(OBSERVER, { noAck: true });
        if (!message) return skus;
        skus.push((JSON.parse(message.content.toString()) as PriceChanged).sku);
      }
    } finally {
      await connection.close();
    }
  }

  beforeAll(async () => {
    vhost = await createTestVhost('publish-outage');
    const connection = await vhost.connect();
    const channel = await connection.createChannel();
    await channel.assertExchange('domain.events', 'topic', { durable: true });
    await channel.assertQueue(OBSERVER, { durable: true });
    await channel.bindQueue(OBSERVER, 'domain.events', PriceChanged.messageType);
    await connection.close();
  });

  afterAll(async () => {
    await restoreBroker();
    for (const app of apps) await app.close();
    await vhost?.delete();
  });

  it('holds a publish during the outage and sends it once the broker is back, within the bound', async () => {
    const patient = await publisherWithTimeout(30_000);
    const hasty = await publisherWithTimeout(1_500);
    await observed();

    await rabbitmqctl('stop_app');
    const waiting = patient.publish(PriceChanged, { sku: 'held' });
    const startedAt = Date.now();
    await expect(hasty.publish(PriceChanged, { sku: 'too-late' })).rejects.toThrow(PublishError);
    const failedAfter = Date.now() - startedAt;
    await expect(hasty.publish(PriceChanged, { sku: 'too-late-2' })).rejects.toThrow(/was not confirmed/);
    await restoreBroker();

    await expect(waiting).resolves.toMatchObject({ messageId: expect.any(String) });
    expect(failedAfter).toBeGreaterThanOrEqual(1_400);
    expect(failedAfter).toBeLessThan(10_000);
    let skus: string[] = [];
    await eventually(
      async () => {
        skus = [...skus, ...(await observed())];
        return skus.includes('held');
      },
      'the held publish on the observer queue',
      15_000,
    );
    // The ones that failed were never sent: a caller told "failed" can retry without making a duplicate. A late copy
    // would leave on the hasty publisher's channel before anything it publishes next, so look until that arrives, and
    // for a while after it.
    await hasty.publish(PriceChanged, { sku: 'after-the-outage' });
    const lookUntil = { marker: false, deadline: 0 };
    await eventually(
      async () => {
        skus = [...skus, ...(await observed())];
        if (!lookUntil.marker && skus.includes('after-the-outage'))
          Object.assign(lookUntil, { marker: true, deadline: Date.now() + 2_000 });
        return lookUntil.marker && Date.now() >= lookUntil.deadline;
      },
      'the publish made after the outage, and 2 s more of looking for a late copy',
      15_000,
    );
    expect(skus.filter((sku) => sku === 'held')).toHaveLength(1);
    expect(skus).not.toContain('too-late');
    expect(skus).not.toContain('too-late-2');
  });
});
