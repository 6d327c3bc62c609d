// Integration: the transactional outbox and its relay against the real broker, on PostgreSQL (one and two relays)
// and on PGlite. What the broker received is read from observer queues bound to the events exchange.
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { IsInt, IsString, Min } from 'class-validator';
import { eq, inArray, isNull } from 'drizzle-orm';
import { MessageHeaders, MessagingModule, type PublishReceipt } from '@app/messaging';
import { DATABASE, DatabaseModule, Outbox, OutboxRelay, outboxTable, type DatabaseHandle, type OutboxOptions } from '@app/persistence';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { createTestVhost, eventually, type TestVhost } from '../../../test/support/test-broker';
import { QueueObserver, sleep } from '../../../test/support/queue-observer';

class ParcelShipped {
  static readonly messageType = 'parcel.shipped';
  static readonly schemaVersion = 1;
  @IsString() parcelId!: string;
}

class ParcelCounted {
  static readonly messageType = 'parcel.counted';
  static readonly schemaVersion = 1;
  @IsInt() @Min(0) n!: number;
}

class LedgerPosted {
  static readonly messageType = 'ledger.posted';
  static readonly schemaVersion = 1;
  @IsString() account!: string;
  /** Position of this entry among its account's entries, from 0. */
  @IsInt() @Min(0) n!: number;
}

class RolledBack extends Error {}

const POLL_MS = 20;

async function startApp(vhost: TestVhost, testDb: TestDatabase, outbox: OutboxOptions): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      DatabaseModule.forRoot({ serviceName: 'outbox-test', url: testDb.url, dataDir: testDb.dataDir, outbox }),
      MessagingModule.forRoot({ url: vhost.url, serviceName: 'outbox-test', consume: false }),
    ],
  }).compile();
  const app = moduleRef.createNestApplication();
  await app.init();
  return app;
}

async function rowsWithIds(db: DatabaseHandle, messageIds: string[]): Promise<Array<typeof outboxTable.$inferSelect>> {
  return db.db.select().from(outboxTable).where(inArray(outboxTable.messageId, messageIds));
}

async function pendingRows(db: DatabaseHandle): Promise<number> {
  return db.db.$count(outboxTable, isNull(outboxTable.sentAt));
}

/** Waits until the observer holds `count` messages, then a few relay polls more, so that a duplicate would show. */
async function settleAt(observer: QueueObserver, count: number, timeoutMs = 30_000): Promise<void> {
  await eventually(async () => (await observer.depth()) >= count, `${count} messages on ${observer.queue}`, timeoutMs);
  await sleep(10 * POLL_MS);
}

function messageIdsOf(messages: Array<{ properties: { messageId?: unknown } }>): string[] {
  return messages.map((message) => String(message.properties.messageId));
}

let vhost: TestVhost;

beforeAll(async () => {
  vhost = await createTestVhost('outbox');
});

afterAll(async () => {
  await vhost?.delete();
});

describe('outbox with one relay on PostgreSQL', () => {
  let testDb: TestDatabase;
  let app: INestApplication;
  let db: DatabaseHandle;
  let outbox: Outbox;
  let observer: QueueObserver;

  beforeAll(async () => {
    testDb = await createTestDatabase('outbox_single');
    observer = await QueueObserver.open(vhost.url, 'observe.everything');
    app = await startApp(vhost, testDb, { pollIntervalMs: POLL_MS });
    db = app.get<DatabaseHandle>(DATABASE);
    outbox = app.get(Outbox);
  });

  afterAll(async () => {
    await app?.close();
    await observer?.delete();
    await testDb?.drop();
  });

  beforeEach(async () => {
    await observer.drain();
  });

  it('never publishes a message added in a transaction that rolls back', async () => {
    let rolledBack: PublishReceipt | undefined;
    await expect(
      db.db.transaction(async (tx) => {
        rolledBack = await outbox.add(tx, ParcelShipped, { parcelId: 'rolled-back' });
        throw new RolledBack('business rule failed after the add');
      }),
    ).rejects.toBeInstanceOf(RolledBack);
    expect(rolledBack).toBeDefined();

    // A committed marker added afterwards proves the relay has passed over the table since the rollback.
    const marker = await db.db.transaction((tx) => outbox.add(tx, ParcelShipped, { parcelId: 'marker' }));
    await settleAt(observer, 1);

    const seen = await observer.drain();
    expect(messageIdsOf(seen)).toEqual([marker.messageId]);
    expect(await rowsWithIds(db, [rolledBack!.messageId])).toHaveLength(0);
  });

  it('publishes a committed message exactly once, with the ids outbox.add returned, and marks its row sent', async () => {
    const publishedBefore = app.get(OutboxRelay).published;
    const receipt = await db.db.transaction((tx) => outbox.add(tx, ParcelShipped, { parcelId: 'p-1' }));
    await settleAt(observer, 1);

    const seen = await observer.drain();
    expect(seen).toHaveLength(1);
    const [message] = seen;
    expect(message.properties.messageId).toBe(receipt.messageId);
    expect(message.properties.correlationId).toBe(receipt.correlationId);
    expect(message.properties.headers?.[MessageHeaders.correlationId]).toBe(receipt.correlationId);
    expect(message.properties.type).toBe(ParcelShipped.messageType);
    expect(message.fields.routingKey).toBe(ParcelShipped.messageType);
    expect(JSON.parse(message.content.toString('utf8'))).toEqual({ parcelId: 'p-1' });

    await eventually(async () => (await rowsWithIds(db, [receipt.messageId]))[0]?.sentAt instanceof Date, 'the row marked sent');
    const [row] = await rowsWithIds(db, [receipt.messageId]);
    expect(row.sentAt).toBeInstanceOf(Date);
    expect(row.attempts).toBe(1);
    expect(app.get(OutboxRelay).published - publishedBefore).toBe(1);
  });

  it('sets aside a row the broker refuses, holds back its key, and publishes the rest', async () => {
    const [refused, sameKey, otherKey] = await db.db.transaction(async (tx) => {
      const bad = await outbox.add(tx, LedgerPosted, { account: 'acc-9', n: 0 }, { aggregateKey: 'acc-9' });
      const next = await outbox.add(tx, LedgerPosted, { account: 'acc-9', n: 1 }, { aggregateKey: 'acc-9' });
      const other = await outbox.add(tx, ParcelShipped, { parcelId: 'unrelated' });
      // A row whose exchange does not exist: the broker refuses it (404) however often it is sent.
      await tx.update(outboxTable).set({ exchange: 'no.such.exchange' }).where(eq(outboxTable.messageId, bad.messageId));
      return [bad, next, other];
    });

    await eventually(async () => (await observer.depth()) >= 1, 'the unrelated row published', 15_000);
    await eventually(async () => ((await rowsWithIds(db, [refused.messageId]))[0]?.attempts ?? 0) >= 1, 'the refusal recorded', 15_000);
    const [bad] = await rowsWithIds(db, [refused.messageId]);
    expect(bad.sentAt).toBeNull();
    expect(bad.lastError).toMatch(/no.such.exchange/);
    expect(bad.availableAt!.getTime()).toBeGreaterThan(Date.now() - 1000);
    expect((await rowsWithIds(db, [sameKey.messageId]))[0].sentAt).toBeNull();
    expect(messageIdsOf(await observer.drain())).toEqual([otherKey.messageId]);

    // Once the cause is mended, the row and then the one it held back go out, in order.
    await db.db
      .update(outboxTable)
      .set({ exchange: 'domain.events', availableAt: null })
      .where(eq(outboxTable.messageId, refused.messageId));
    await settleAt(observer, 2);
    expect(messageIdsOf(await observer.drain())).toEqual([refused.messageId, sameKey.messageId]);
  });

  it('deletes sent rows older than the retention, and keeps younger sent rows', async () => {
    const hour = 3600_000;
    const now = Date.now();
    const [oldSent, youngSent] = await db.db.transaction(async (tx) => {
      const old = await outbox.add(tx, ParcelShipped, { parcelId: 'sent-two-hours-ago' });
      const young = await outbox.add(tx, ParcelShipped, { parcelId: 'sent-a-minute-ago' });
      // Already published, long ago and recently: the relay leaves them alone, only the cleanup looks at them.
      await tx
        .update(outboxTable)
        .set({ sentAt: new Date(now - 2 * hour), attempts: 1 })
        .where(eq(outboxTable.messageId, old.messageId));
      await tx
        .update(outboxTable)
        .set({ sentAt: new Date(now - 60_000), attempts: 1 })
        .where(eq(outboxTable.messageId, young.messageId));
      return [old, young];
    });

    // The app's relay ran its cleanup at start (24 h retention) and runs it next in a minute. A second relay on the
    // same table, with a one hour retention, runs its cleanup in its first pass.
    const other = await startApp(vhost, testDb, { relay: false, pollIntervalMs: POLL_MS, retentionMs: hour });
    try {
      other.get(OutboxRelay).start();
      await eventually(async () => (await rowsWithIds(db, [oldSent.messageId])).length === 0, 'the old sent row deleted', 10_000);
    } finally {
      await other.close();
    }
    expect(await rowsWithIds(db, [youngSent.messageId])).toHaveLength(1);
    expect(await observer.depth()).toBe(0);
  });
});

describe('outbox with two relays on one PostgreSQL table', () => {
  const relayOptions = { relay: true, batchSize: 50, pollIntervalMs: 10 };
  let testDb: TestDatabase;
  let apps: INestApplication[] = [];
  let countedObserver: QueueObserver;
  let ledgerObserver: QueueObserver;

  beforeAll(async () => {
    testDb = await createTestDatabase('outbox_pair');
    countedObserver = await QueueObserver.open(vhost.url, 'observe.parcel-counted', { routingKey: ParcelCounted.messageType });
    ledgerObserver = await QueueObserver.open(vhost.url, 'observe.ledger-posted', { routingKey: LedgerPosted.messageType });
    // One after the other: the second finds the migrations applied.
    apps = [await startApp(vhost, testDb, relayOptions), await startApp(vhost, testDb, relayOptions)];
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await countedObserver?.delete();
    await ledgerObserver?.delete();
    await testDb?.drop();
  });

  function relays(): OutboxRelay[] {
    return apps.map((app) => app.get(OutboxRelay));
  }

  it('publishes every row exactly once while two relays share the table', async () => {
    const before = relays().map((relay) => relay.published);
    const transactions = 10;
    const perTransaction = 100;
    const receipts: PublishReceipt[] = [];
    for (let t = 0; t < transactions; t++) {
      // Alternate the writer: each app writes through its own pool, while both relays run.
      const app = apps[t % 2];
      const batch = await app.get<DatabaseHandle>(DATABASE).db.transaction(async (tx) => {
        const added: PublishReceipt[] = [];
        for (let i = 0; i < perTransaction; i++) {
          added.push(await app.get(Outbox).add(tx, ParcelCounted, { n: t * perTransaction + i }));
        }
        return added;
      });
      receipts.push(...batch);
    }
    const total = transactions * perTransaction;
    const db = apps[0].get<DatabaseHandle>(DATABASE);

    await eventually(async () => (await pendingRows(db)) === 0, 'every row sent', 45_000);
    await settleAt(countedObserver, total);
    const seen = await countedObserver.drain();

    const ids = messageIdsOf(seen);
    expect(ids).toHaveLength(total);
    expect(new Set(ids).size).toBe(total);
    expect(new Set(ids)).toEqual(new Set(receipts.map((receipt) => receipt.messageId)));
    const byRelay = relays().map((relay, i) => relay.published - before[i]);
    expect(byRelay[0] + byRelay[1]).toBe(total);
    // Both took part: otherwise this would only show what one relay does.
    expect(byRelay[0]).toBeGreaterThan(0);
    expect(byRelay[1]).toBeGreaterThan(0);
  }, 120_000);

  it('keeps the order of each aggregate key while two relays share the table', async () => {
    const before = relays().map((relay) => relay.published);
    const keys = Array.from({ length: 10 }, (_, i) => `account-${i}`);
    const next = new Map(keys.map((key) => [key, 0]));
    let random = 12345;
    const pick = (): string => {
      random = (random * 1103515245 + 12345) % 2 ** 31;
      return keys[random % keys.length];
    };
    const transactions = 8;
    const perTransaction = 60;
    for (let t = 0; t < transactions; t++) {
      const app = apps[t % 2];
      await app.get<DatabaseHandle>(DATABASE).db.transaction(async (tx) => {
        for (let i = 0; i < perTransaction; i++) {
          const account = pick();
          const n = next.get(account)!;
          next.set(account, n + 1);
          await app.get(Outbox).add(tx, LedgerPosted, { account, n }, { aggregateKey: account });
        }
      });
    }
    const total = transactions * perTransaction;
    const db = apps[0].get<DatabaseHandle>(DATABASE);

    await eventually(async () => (await pendingRows(db)) === 0, 'every row sent', 45_000);
    await settleAt(ledgerObserver, total);
    const seen = await ledgerObserver.drain();
    expect(seen).toHaveLength(total);

    const arrived = new Map<string, number[]>();
    for (const message of seen) {
      const { account, n } = JSON.parse(message.content.toString('utf8')) as LedgerPosted;
      arrived.set(account, [...(arrived.get(account) ?? []), n]);
    }
    for (const key of keys) {
      const expected = Array.from({ length: next.get(key)! }, (_, n) => n);
      expect({ key, order: arrived.get(key) ?? [] }).toEqual({ key, order: expected });
    }
    const byRelay = relays().map((relay, i) => relay.published - before[i]);
    expect(byRelay[0]).toBeGreaterThan(0);
    expect(byRelay[1]).toBeGreaterThan(0);
  }, 120_000);
});

describe('outbox on PGlite', () => {
  let testDb: TestDatabase;
  let app: INestApplication;
  let observer: QueueObserver;

  beforeAll(async () => {
    testDb = await createTestDatabase('outbox_pglite', 'pglite');
    observer = await QueueObserver.open(vhost.url, 'observe.parcel-shipped-pglite', { routingKey: ParcelShipped.messageType });
    app = await startApp(vhost, testDb, { pollIntervalMs: POLL_MS });
  });

  afterAll(async () => {
    await app?.close();
    await observer?.delete();
    await testDb?.drop();
  });

  it('publishes a committed message exactly once, with the ids outbox.add returned, and marks its row sent', async () => {
    const db = app.get<DatabaseHandle>(DATABASE);
    expect(db.kind).toBe('pglite');
    let rolledBack: PublishReceipt | undefined;
    await expect(
      db.db.transaction(async (tx) => {
        rolledBack = await app.get(Outbox).add(tx, ParcelShipped, { parcelId: 'pglite-rolled-back' });
        throw new RolledBack('rolled back');
      }),
    ).rejects.toBeInstanceOf(RolledBack);
    const receipt = await db.db.transaction((tx) => app.get(Outbox).add(tx, ParcelShipped, { parcelId: 'pglite-1' }));
    await settleAt(observer, 1);

    const seen = await observer.drain();
    expect(messageIdsOf(seen)).toEqual([receipt.messageId]);
    expect(seen[0].properties.correlationId).toBe(receipt.correlationId);
    expect(JSON.parse(seen[0].content.toString('utf8'))).toEqual({ parcelId: 'pglite-1' });
    await eventually(async () => (await rowsWithIds(db, [receipt.messageId]))[0]?.sentAt instanceof Date, 'the row marked sent');
    expect(await rowsWithIds(db, [rolledBack!.messageId])).toHaveLength(0);
  });
});
