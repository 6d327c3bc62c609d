// Integration: idempotent consumers with each store — PostgreSQL, PGlite, Redis — against the real broker.
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
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
import { createTestVhost, eventually, rabbitmqctl, type TestVhost } from '../../../test/support/test-broker';

class CreditGranted {
  static readonly messageType = 'credit.granted';
  static readonly schemaVersion = 1;
  @IsString() account!: string;
  /**
   * "fail-once": the handler writes, then fails once after its write (the write must roll back). "commit-fails-once":
   * the handler succeeds, but the first commit of its transaction is refused (a deferred constraint trigger).
   */
  @IsString() mode!: string;
}

const cases: Array<{ name: string; store: IdempotencyStoreKind; database: 'postgres' | 'pglite' }> = [
  { name: 'PostgreSQL inbox', store: 'database', database: 'postgres' },
  { name: 'PGlite inbox', store: 'database', database: 'pglite' },
  { name: 'Redis store', store: 'redis', database: 'pglite' },
];

describe.each(cases)('idempotent consumer with the $name', ({ store, database }) => {
  // Names of this run only: the Redis store's keys live a week, and an aborted run must not leave them to the next.
  const run = randomUUID().slice(0, 8);
  const serviceName = `ledger-${run}`;
  const queue = `${serviceName}.credit.granted`;
  let vhost: TestVhost;
  let testDb: TestDatabase;
  let app: INestApplication;
  let db: DatabaseHandle;

  @Injectable()
  class CreditHandler {
    deliveries = 0;
    /** Every run of the handler's body: message id and attempt. */
    readonly runs: Array<{ messageId: string; attempt: number }> = [];
    /** Effects outside the database (what the Redis store protects), with the attempt that made each. */
    readonly externalEffects: Array<{ account: string; attempt: number }> = [];
    readonly failedOnce = new Set<string>();

    @MessageHandler(CreditGranted)
    @Idempotent({ store })
    async grant(message: CreditGranted, context: MessageContext): Promise<void> {
      this.deliveries++;
      this.runs.push({ messageId: context.messageId, attempt: context.attempt });
      if (store === 'database') {
        await context.transaction.execute(
          sql`insert into credits (account, message_id, attempt) values (${message.account}, ${context.messageId}, ${context.attempt})`,
        );
        if (message.mode === 'commit-fails-once')
          await context.transaction.execute(sql`insert into commit_gate (message_id) values (${context.messageId})`);
      } else {
        this.externalEffects.push({ account: message.account, attempt: context.attempt });
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
          serviceName,
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
    await db.db.execute(sql`create table if not exists credits (account text not null, message_id text not null, attempt int not null)`);
    if (database === 'postgres' && store === 'database') {
      // A row of commit_gate refuses the first commit of its transaction, at commit time (a sequence is not rolled back).
      await db.db.execute(sql`create sequence if not exists commit_gate_refusals`);
      await db.db.execute(sql`create table if not exists commit_gate (message_id text not null)`);
      await db.db.execute(sql`create or replace function refuse_first_commit() returns trigger language plpgsql as $$
        begin
          if nextval('commit_gate_refusals') = 1 then raise exception 'commit refused once'; end if;
          return null;
        end $$`);
      await db.db.execute(sql`drop trigger if exists commit_gate_refusal on commit_gate`);
      await db.db.execute(sql`create constraint trigger commit_gate_refusal after insert on commit_gate
        deferrable initially deferred for each row execute function refuse_first_commit()`);
    }
    await app.init();
    await app.get(ConsumerSupervisor).waitUntilReady();
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await vhost?.delete();
    await testDb?.drop();
    const redis = new Redis('redis://127.0.0.1:6379');
    const keys = await redis.keys(`idempotency:${queue}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  /** The attempts whose effect stayed (committed rows, or external effects not compensated). */
  async function effectsFor(account: string): Promise<number[]> {
    const handler = app.get(CreditHandler);
    if (store !== 'database') return handler.externalEffects.filter((effect) => effect.account === account).map((effect) => effect.attempt);
    const result = await db.db.execute(sql`select attempt from credits where account = ${account} order by attempt`);
    return (result as { rows: Array<{ attempt: number }> }).rows.map((row) => Number(row.attempt));
  }

  /** Nothing ready and nothing unacked on the handler's queue: every delivery was settled. */
  async function queueSettled(): Promise<boolean> {
    const listed = await rabbitmqctl('list_queues', '-p', vhost.name, 'name', 'messages_ready', 'messages_unacknowledged');
    return new RegExp(`^${queue.replace(/\./g, '\\.')}\\s+0\\s+0$`, 'm').test(listed);
  }

  /** The inbox's mark for a message, if any (database store). */
  async function markOf(messageId: string): Promise<number> {
    const result = await db.db.execute(sql`select count(*)::int as n from inbox where consumer = ${queue} and message_id = ${messageId}`);
    return Number((result as { rows: Array<{ n: number }> }).rows[0].n);
  }

  it('makes one effect from one message delivered five times, and acks the duplicates', async () => {
    const publisher = app.get(MessagePublisher);
    const handler = app.get(CreditHandler);
    const account = `acc-${run}-5x`;
    const messageId = `credit-${run}-5x`;
    const before = handler.deliveries;
    for (let i = 0; i < 5; i++) await publisher.publish(CreditGranted, { account, mode: 'ok' }, { messageId });
    // Duplicates are skipped before the handler body runs: one delivery reaches it, and all five are acked.
    await eventually(async () => (await effectsFor(account)).length === 1, 'the effect');
    await eventually(queueSettled, 'all five deliveries acked (nothing ready, nothing unacked)');
    expect(await effectsFor(account)).toEqual([1]);
    expect(handler.deliveries - before).toBe(1);
  });

  it('leaves no mark when the handler fails, so its retry runs the handler again and makes the effect exactly once', async () => {
    const handler = app.get(CreditHandler);
    const account = `acc-${run}-retry`;
    const { messageId } = await app.get(MessagePublisher).publish(CreditGranted, { account, mode: 'fail-once' });
    await eventually(
      () => handler.runs.some((r) => r.messageId === messageId && r.attempt === 2),
      'the retry reaching the handler',
      10_000,
    );
    await eventually(queueSettled, 'the retry acked', 10_000);
    // The failed first attempt's write rolled back with its mark: the effect that stays is the retry's.
    expect(handler.runs.filter((r) => r.messageId === messageId).map((r) => r.attempt)).toEqual([1, 2]);
    expect(await effectsFor(account)).toEqual([2]);
    if (store === 'database') expect(await markOf(messageId)).toBe(1);
  });

  // On PostgreSQL (a deferred constraint trigger refuses the commit); the Redis store has no transaction to commit.
  if (database === 'postgres' && store === 'database') {
    it('acks a delivery only once its transaction has committed: a refused commit is retried, not lost', async () => {
      const handler = app.get(CreditHandler);
      const account = `acc-${run}-commit`;
      const { messageId } = await app.get(MessagePublisher).publish(CreditGranted, { account, mode: 'commit-fails-once' });
      // An ack sent before the commit would have settled the message though its commit failed: no second run would come.
      await eventually(
        () => handler.runs.some((r) => r.messageId === messageId && r.attempt === 2),
        'the run after the refused commit',
        10_000,
      );
      await eventually(queueSettled, 'the second run acked', 10_000);
      expect(await effectsFor(account)).toEqual([2]);
      expect(await markOf(messageId)).toBe(1);
    });
  }
});
