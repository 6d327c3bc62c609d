// Integration: idempotent consumers with each store — PostgreSQL, PGlite, Redis — against the real broker.
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { IsString } from 'class-validator';
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import {
  Idempotent,
  MessageContext,
  MessageHandler,
  ConsumerSupervisor,
  MessagePublisher,
  MessagingModule,
  TransientError,
  type IdempotencyStoreKind,
} from '@app/messaging';
import { DATABASE, DatabaseModule, RedisIdempotencyModule, type DatabaseHandle } from '@app/persistence';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { createTestVhost, eventually, type TestVhost } from '../../../test/support/test-broker';

class CreditGranted {
  static readonly messageType = 'credit.granted';
  static readonly schemaVersion = 1;
  @IsString() account!: string;
  /** "fail-once": the handler writes, then fails once after its write (the write must roll back). */
  @IsString() mode!: string;
}

const cases: Array<{ name: string; store: IdempotencyStoreKind; database: 'postgres' | 'pglite' }> = [
  { name: 'PostgreSQL inbox', store: 'database', database: 'postgres' },
  { name: 'PGlite inbox', store: 'database', database: 'pglite' },
  { name: 'Redis store', store: 'redis', database: 'pglite' },
];

describe.each(cases)('idempotent consumer with the $name', ({ store, database }) => {
  let vhost: TestVhost;
  let testDb: TestDatabase;
  let app: INestApplication;
  let db: DatabaseHandle;

  @Injectable()
  class CreditHandler {
    deliveries = 0;
    /** Effects outside the database (what the Redis store protects). */
    readonly externalEffects: string[] = [];
    readonly failedOnce = new Set<string>();

    @MessageHandler(CreditGranted)
    @Idempotent({ store })
    async grant(message: CreditGranted, context: MessageContext): Promise<void> {
      this.deliveries++;
      if (store === 'database') {
        await context.transaction.execute(sql`insert into credits (account, message_id) values (${message.account}, ${context.messageId})`);
      } else {
        this.externalEffects.push(message.account);
      }
      if (message.mode === 'fail-once' && !this.failedOnce.has(context.messageId)) {
        this.failedOnce.add(context.messageId);
        if (store !== 'database') this.externalEffects.pop(); // an external effect would be compensated by its owner
        throw new TransientError('downstream hiccup after the write');
      }
    }
  }

  beforeAll(async () => {
    vhost = await createTestVhost(`inbox-${store}-${database}`);
    testDb = await createTestDatabase(`inbox_${store}`, database);
    const moduleRef = await Test.createTestingModule({
      imports: [
        DatabaseModule.forRoot({ serviceName: 'inbox-test', url: testDb.url, dataDir: testDb.dataDir }),
        MessagingModule.forRoot({
          url: vhost.url,
          serviceName: 'ledger',
          delay: 'ladder',
          retry: { maxAttempts: 3, backoff: { initialMs: 500, jitter: 'none' } },
          shutdownTimeoutMs: 1000,
        }),
        RedisIdempotencyModule.forRoot({ url: 'redis://127.0.0.1:6379' }),
      ],
      providers: [CreditHandler],
    }).compile();
    app = moduleRef.createNestApplication();
    db = app.get<DatabaseHandle>(DATABASE);
    await db.db.execute(sql`create table if not exists credits (account text not null, message_id text not null)`);
    await app.init();
    await app.get(ConsumerSupervisor).waitUntilReady();
  });

  afterAll(async () => {
    await app?.close();
    await vhost?.delete();
    await testDb?.drop();
    const redis = new Redis('redis://127.0.0.1:6379');
    const keys = await redis.keys(`idempotency:ledger.credit.granted:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  async function effectsFor(account: string): Promise<number> {
    const handler = app.get(CreditHandler);
    if (store !== 'database') return handler.externalEffects.filter((a) => a === account).length;
    const result = await db.db.execute(sql`select count(*)::int as n from credits where account = ${account}`);
    return Number((result as { rows: Array<{ n: number }> }).rows[0].n);
  }

  it('makes one effect from one message delivered five times, and acks the duplicates', async () => {
    const publisher = app.get(MessagePublisher);
    const handler = app.get(CreditHandler);
    const account = `acc-${store}-${database}-5x`;
    const messageId = `credit-${account}`;
    const before = handler.deliveries;
    for (let i = 0; i < 5; i++) await publisher.publish(CreditGranted, { account, mode: 'ok' }, { messageId });
    // Duplicates are skipped before the handler body runs, so one delivery reaches it; wait for all five to settle.
    await eventually(async () => (await effectsFor(account)) === 1, 'the effect');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await effectsFor(account)).toBe(1);
    expect(handler.deliveries - before).toBe(1);
  });

  it('leaves no mark when the handler fails, so its retry makes the effect exactly once', async () => {
    const account = `acc-${store}-${database}-retry`;
    await app.get(MessagePublisher).publish(CreditGranted, { account, mode: 'fail-once' });
    await eventually(async () => (await effectsFor(account)) === 1, 'the effect after the retry', 10_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await effectsFor(account)).toBe(1);
  });
});
