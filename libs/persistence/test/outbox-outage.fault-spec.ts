// Fault: the broker stops (rabbitmqctl stop_app) while the outbox relay runs. Rows committed during the outage wait in
// the table, and once the broker is back each is published exactly once. Runs alone (jest.faults.config.js).
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import amqplib from 'amqplib';
import { IsInt, Min } from 'class-validator';
import { isNull } from 'drizzle-orm';
import { MessagingModule, type PublishReceipt } from '@app/messaging';
import { DATABASE, DatabaseModule, Outbox, outboxTable, type DatabaseHandle } from '@app/persistence';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { createTestVhost, eventually, rabbitmqctl, type TestVhost } from '../../../test/support/test-broker';
import { QueueObserver, sleep } from '../../../test/support/queue-observer';

class StockReserved {
  static readonly messageType = 'stock.reserved';
  static readonly schemaVersion = 1;
  @IsInt() @Min(0) n!: number;
}

const OBSERVER_QUEUE = 'observe.stock-reserved';
const BROKER_URL = `amqp://guest:guest@${process.env.AMQP_HOST ?? '127.0.0.1'}:${process.env.AMQP_PORT ?? '5672'}`;

/** Starts the broker's application (a no-op if it runs) and waits until it accepts AMQP connections again. */
async function restoreBroker(timeoutMs = 60_000): Promise<void> {
  await rabbitmqctl('start_app');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await amqplib.connect(BROKER_URL);
      await connection.close();
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`Broker not answering ${timeoutMs} ms after start_app: ${String(error)}`, { cause: error });
      }
      await sleep(200);
    }
  }
}

describe('outbox relay across a broker outage', () => {
  let vhost: TestVhost;
  let testDb: TestDatabase;
  let app: INestApplication | undefined;
  let db: DatabaseHandle;
  let outbox: Outbox;
  let observer: QueueObserver | undefined;

  beforeAll(async () => {
    vhost = await createTestVhost('outbox-outage');
    testDb = await createTestDatabase('outbox_outage');
    // Durable and bound before the outage: it outlives stop_app, and sees every publish after it.
    await (await QueueObserver.open(vhost.url, OBSERVER_QUEUE, { routingKey: StockReserved.messageType })).close();
    const moduleRef = await Test.createTestingModule({
      imports: [
        DatabaseModule.forRoot({ serviceName: 'outbox-outage', url: testDb.url, outbox: { pollIntervalMs: 20 } }),
        MessagingModule.forRoot({
          url: vhost.url,
          serviceName: 'outbox-outage',
          consume: false,
          publishTimeoutMs: 2000,
          reconnect: { initialDelayMs: 100, maxDelayMs: 500 },
        }),
      ],
    }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
    db = app.get<DatabaseHandle>(DATABASE);
    outbox = app.get(Outbox);
  });

  afterAll(async () => {
    // Whatever happened above, later specs need the broker back.
    await restoreBroker();
    await observer?.close();
    await app?.close();
    await vhost?.delete();
    await testDb?.drop();
  });

  async function addInTransaction(from: number, count: number): Promise<PublishReceipt[]> {
    return db.db.transaction(async (tx) => {
      const receipts: PublishReceipt[] = [];
      for (let n = from; n < from + count; n++) receipts.push(await outbox.add(tx, StockReserved, { n }));
      return receipts;
    });
  }

  const pending = (): Promise<number> => db.db.$count(outboxTable, isNull(outboxTable.sentAt));

  it('publishes each row committed during the outage exactly once after the broker is back, and marks every row sent', async () => {
    const receipts: PublishReceipt[] = [];
    receipts.push(...(await addInTransaction(0, 10)));
    await eventually(async () => (await pending()) === 0, 'the rows before the outage sent');

    await rabbitmqctl('stop_app');
    for (let t = 0; t < 5; t++) {
      receipts.push(...(await addInTransaction(10 + t * 20, 20)));
      await sleep(300);
    }
    // Long enough for relay passes to time out (publishTimeoutMs 2000) while the broker is away.
    await sleep(1500);
    expect(await pending()).toBe(100);

    await restoreBroker();
    await eventually(async () => (await pending()) === 0, 'every row sent after the outage', 30_000);

    observer = await QueueObserver.open(vhost.url, OBSERVER_QUEUE, { routingKey: StockReserved.messageType });
    await eventually(async () => (await observer!.depth()) >= receipts.length, `${receipts.length} messages observed`);
    await sleep(500); // a duplicate from a late retry would land by now
    const ids = (await observer.drain()).map((message) => String(message.properties.messageId));

    expect(ids).toHaveLength(receipts.length);
    expect(new Set(ids)).toEqual(new Set(receipts.map((receipt) => receipt.messageId)));
    expect(await db.db.$count(outboxTable)).toBe(receipts.length);
    expect(await pending()).toBe(0);
  });
});
