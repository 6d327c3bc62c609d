// Integration (PostgreSQL): the inbox puts deliveries that arrive together in one transaction, each handler behind a
// savepoint: one failing handler loses only its own writes and mark, and two deliveries of a key never both run.
import { sql, type SQL } from 'drizzle-orm';
import { currentCorrelation, runWithCorrelation, type IdempotencyClaim } from '@app/messaging';
import { DatabaseIdempotencyStore, driverClientOf, queryRows, takeBatch } from '@app/persistence/inbox/database-idempotency-store';
import {
  MESSAGING_MIGRATIONS_FOLDER,
  openDatabase,
  rowsOf,
  type DatabaseHandle,
  type Transaction,
} from '@app/persistence/database/database';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';

let testDb: TestDatabase;
let handle: DatabaseHandle;
let store: DatabaseIdempotencyStore;
let run = 0;

function claim(key: string): IdempotencyClaim {
  return { consumer: `ledger-${run}`, key, messageId: `m-${key}`, ttlMs: 60_000 };
}

async function rows(query: ReturnType<typeof sql>): Promise<Array<Record<string, unknown>>> {
  return rowsOf<Record<string, unknown>>(await handle.db.execute(query));
}

/** A handler that writes its key into `credits`, and fails after the write when told to. */
function write(key: string, fail?: 'after-write' | 'sql-error') {
  return async (tx?: Transaction) => {
    await tx!.execute(sql`insert into credits (key) values (${key})`);
    if (fail === 'sql-error') await tx!.execute(sql`insert into credits (key) values (${key})`);
    if (fail === 'after-write') throw new Error(`handler of ${key} failed`);
  };
}

beforeAll(async () => {
  testDb = await createTestDatabase('inbox_batching');
  handle = await openDatabase({ url: testDb.url, dataDir: '', poolSize: 2 });
  await handle.migrate(MESSAGING_MIGRATIONS_FOLDER, '__messaging_migrations');
  await handle.db.execute(sql`create table credits (key text primary key)`);
  store = new DatabaseIdempotencyStore(handle.db, { lanes: 2, maxBatch: 32 });
});

beforeEach(() => {
  run++;
});

afterAll(async () => {
  await handle?.close();
  await testDb?.drop();
});

describe('the PostgreSQL inbox with batches', () => {
  it('handles 64 deliveries of one turn in two transactions (one per lane), each effect once', async () => {
    const keys = Array.from({ length: 64 }, (_, i) => `r${run}-${i}`);
    const transactions = new Set<string>();
    const results = await Promise.all(
      keys.map((key) =>
        store.runOnce(claim(key), async (tx) => {
          await write(key)(tx);
          // The top-level transaction's id, even inside the handler's savepoint.
          const [row] = rowsOf<{ id: string }>(await tx!.execute(sql`select pg_current_xact_id()::text as id`));
          transactions.add(row.id);
        }),
      ),
    );
    expect(results).toEqual(keys.map(() => 'processed'));
    expect(await rows(sql`select count(*)::int as n from credits where key like ${`r${run}-%`}`)).toEqual([{ n: 64 }]);
    expect(await rows(sql`select count(*)::int as n from inbox where consumer = ${`ledger-${run}`}`)).toEqual([{ n: 64 }]);
    // Two lanes of up to 32, against 64 transactions with one per message.
    expect(transactions.size).toBe(2);
  });

  it('rolls back only the failing handler: its write and its mark, so that its retry runs', async () => {
    const keys = [`f${run}-a`, `f${run}-b`, `f${run}-c`, `f${run}-d`, `f${run}-e`];
    const outcomes = await Promise.allSettled([
      store.runOnce(claim(keys[0]), write(keys[0])),
      store.runOnce(claim(keys[1]), write(keys[1], 'after-write')),
      store.runOnce(claim(keys[2]), write(keys[2], 'sql-error')),
      store.runOnce(claim(keys[3]), write(keys[3])),
      // Fails before any query of its own: nothing to roll back but its mark.
      store.runOnce(claim(keys[4]), async () => {
        throw new Error('rejected before writing');
      }),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled', 'rejected']);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toContain(`handler of ${keys[1]} failed`);
    // drizzle wraps the database's error; the handler's own error is what the delivery fails with.
    expect(String(((outcomes[2] as PromiseRejectedResult).reason as Error).cause)).toMatch(/duplicate key/);
    const written = await rows(sql`select key from credits where key like ${`f${run}-%`} order by key`);
    expect(written.map((row) => row.key)).toEqual([keys[0], keys[3]]);
    // The failed ones left no mark: their next delivery runs the handler.
    await expect(store.runOnce(claim(keys[1]), write(keys[1]))).resolves.toBe('processed');
    await expect(store.runOnce(claim(keys[4]), write(keys[4]))).resolves.toBe('processed');
    await expect(store.runOnce(claim(keys[0]), write(keys[0]))).resolves.toBe('duplicate');
  });

  it('runs one of two deliveries of a key that arrive together, and skips the other', async () => {
    const key = `d${run}`;
    let ran = 0;
    const work = async (tx?: Transaction) => {
      ran++;
      await write(key)(tx);
    };
    const [first, other, second] = await Promise.all([
      store.runOnce(claim(key), work),
      store.runOnce(claim(`d${run}-other`), write(`d${run}-other`)),
      store.runOnce(claim(key), work),
    ]);
    expect(other).toBe('processed');
    // The two go to different lanes; whichever claims the key first runs, and the other waits for its commit.
    expect([first, second].sort()).toEqual(['duplicate', 'processed']);
    expect(ran).toBe(1);
    expect(await rows(sql`select key from credits where key = ${key}`)).toEqual([{ key }]);
  });

  it("runs each handler of a batch in its own delivery's async context (correlation, trace)", async () => {
    const seen: Array<[string, string | undefined]> = [];
    const ids = ['corr-a', 'corr-b', 'corr-c'];
    await Promise.all(
      ids.map((correlationId, i) =>
        runWithCorrelation({ correlationId }, () =>
          store.runOnce(claim(`c${run}-${i}`), async () => {
            await new Promise((resolve) => setImmediate(resolve));
            seen.push([correlationId, currentCorrelation()?.correlationId]);
          }),
        ),
      ),
    );
    expect(seen).toHaveLength(3);
    for (const [expected, actual] of seen) expect(actual).toBe(expected);
  });

  it('runs the second delivery of a key whose first failed in the same turn', async () => {
    const key = `s${run}`;
    // One lane, so that the two run in order (in two lanes either may claim the key first).
    const oneLane = new DatabaseIdempotencyStore(handle.db, { lanes: 1, maxBatch: 32 });
    const results = await Promise.allSettled([
      oneLane.runOnce(claim(key), write(key, 'after-write')),
      oneLane.runOnce(claim(key), write(key)),
    ]);
    expect(results.map((result) => (result.status === 'fulfilled' ? result.value : 'failed'))).toEqual(['failed', 'processed']);
    expect(await rows(sql`select key from credits where key = ${key}`)).toEqual([{ key }]);
  });
});

describe('how the inbox shares deliveries among its lanes', () => {
  /** A handler that counts how many handlers run at once, and waits `ms` (an outside call inside the transaction). */
  function concurrency() {
    let running = 0;
    let most = 0;
    return {
      work: (ms: number) => async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, ms));
        running--;
      },
      most: () => most,
      running: () => running,
    };
  }

  /** Polls `predicate` (observable state of the store or its handlers) until it holds. */
  async function until(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  it('keeps a delivery of quick handlers for the busy lane (one more batch) rather than open another lane', async () => {
    const lanes = new DatabaseIdempotencyStore(handle.db, { lanes: 2, maxBatch: 32, laneWaitMs: 5000 });
    const counter = concurrency();
    const first = lanes.runOnce(claim(`q${run}-first`), counter.work(50));
    await until(() => counter.running() === 1, 'the first handler running');
    // The first lane is busy, the second is free: the delivery still waits for the first (a quick handler's batch
    // ends soon), where a transaction of its own would cost it a commit.
    const next = lanes.runOnce(claim(`q${run}-next`), counter.work(1));
    expect(await Promise.all([first, next])).toEqual(['processed', 'processed']);
    expect(counter.most()).toBe(1);
  });

  it('runs slow handlers side by side on the free lanes', async () => {
    // Two lanes: the pool has two connections.
    const lanes = new DatabaseIdempotencyStore(handle.db, { lanes: 2, maxBatch: 32 });
    const counter = concurrency();
    // The first delivery teaches the store that its handlers are slow.
    await lanes.runOnce(claim(`w${run}-first`), counter.work(30));
    const results = await Promise.all([0, 1].map((i) => lanes.runOnce(claim(`w${run}-${i}`), counter.work(30))));
    expect(results).toEqual(['processed', 'processed']);
    expect(counter.most()).toBe(2);
  });

  it('does not hold quick handlers back behind one that hangs: another lane opens for them', async () => {
    const lanes = new DatabaseIdempotencyStore(handle.db, { lanes: 2, maxBatch: 32 });
    const hangs: { release?: () => void } = {};
    const hanging = lanes.runOnce(claim(`h${run}-hangs`), () => new Promise<void>((resolve) => (hangs.release = resolve)));
    await until(() => hangs.release !== undefined, 'the hanging handler running');
    // The first lane is busy with the hanging handler; this one is handled while it still hangs.
    await expect(lanes.runOnce(claim(`h${run}-next`), async () => undefined)).resolves.toBe('processed');
    hangs.release!();
    await expect(hanging).resolves.toBe('processed');
  });
});

describe('the inbox of a service (@Idempotent with the database store)', () => {
  it('holds at most half the pool in batches: the rest answers other queries during a burst of slow handlers', async () => {
    const pool = await openDatabase({ url: testDb.url, dataDir: '', poolSize: 4 });
    try {
      const inbox = DatabaseIdempotencyStore.forDatabase(pool);
      const open = new Set<string>();
      let most = 0;
      let handled = 0;
      const deliver = (i: number) =>
        inbox.runOnce({ consumer: `ledger-pool-${run}`, key: `p${run}-${i}`, messageId: `p${run}-${i}`, ttlMs: 60_000 }, async (tx) => {
          const [row] = rowsOf<{ id: string }>(await (tx as Transaction).execute(sql`select pg_current_xact_id()::text as id`));
          open.add(row.id);
          most = Math.max(most, open.size);
          await new Promise((resolve) => setTimeout(resolve, 40)); // an outside call inside the transaction
          open.delete(row.id);
          handled++;
        });
      await deliver(0); // teaches the store that these handlers are slow: they are spread over the free lanes

      const burst = Promise.all(Array.from({ length: 24 }, (_, i) => deliver(i + 1)));
      // Once two batches hold a transaction each (two of the four connections), a query of the service's own still
      // gets one of the other two.
      const deadline = Date.now() + 10_000;
      while (open.size < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
      await pool.db.execute(sql`select 1`);
      const handledWhenAnswered = handled;
      await burst;

      expect(handled).toBe(25);
      expect(handledWhenAnswered).toBeLessThan(25);
      expect(most).toBe(2);
    } finally {
      await pool.close();
    }
  });
});

describe("the claim's statement", () => {
  // The claims go straight to the driver's client (drizzle building the statement cost more than its round trip):
  // this notices a drizzle release that no longer shows the client on its transaction (the claim would fall back to
  // drizzle, slower but the same).
  it('finds the node-postgres client of a drizzle transaction, and runs the claim there', async () => {
    await handle.db.transaction(async (tx) => {
      const client = driverClientOf(tx);
      expect(client).toBeDefined();
      expect(rowsOf(await client!.query('select $1::text as value', ['plain']))).toEqual([{ value: 'plain' }]);
    });
  });

  it('runs it through drizzle, parameters and all, when the transaction shows no client', async () => {
    const drizzleOnly = { execute: (query: SQL) => handle.db.execute(query) } as unknown as Transaction;
    const rows = await queryRows(drizzleOnly, 'select $1::text as a, $2::text[] as b, $1::text as c', ["it's", ['x', 'y']]);
    expect(rows).toEqual([{ a: "it's", b: ['x', 'y'], c: "it's" }]);
  });
});

describe('takeBatch', () => {
  const item = (key: string) => ({ claim: claim(key) });
  const keysOf = (items: Array<{ claim: IdempotencyClaim }>) => items.map((entry) => entry.claim.key);

  it('takes up to the size from the front of the queue', () => {
    const queue = ['a', 'b', 'c'].map(item);
    expect(keysOf(takeBatch(queue, 2))).toEqual(['a', 'b']);
    expect(keysOf(queue)).toEqual(['c']);
  });

  it('stops before a second delivery of a key already in the batch', () => {
    const queue = ['a', 'b', 'a', 'c'].map(item);
    expect(keysOf(takeBatch(queue, 32))).toEqual(['a', 'b']);
    expect(keysOf(takeBatch(queue, 32))).toEqual(['a', 'c']);
    expect(queue).toEqual([]);
  });
});
