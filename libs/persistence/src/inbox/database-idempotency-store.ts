// Inbox in the service's database: the "seen" row and the handler's writes commit (or roll back) together.
//
// Deliveries that arrive together share a transaction: one commit (and one fsync) for a batch instead of one per
// message. Each handler runs behind a savepoint of its own, so a failing handler rolls back only its own writes and
// its own mark; the others commit. Handlers of one batch run one after another (they share a connection), and several
// batches (lanes) run at once. How the waiting deliveries go to the lanes depends on how long handlers take:
// - quick handlers (the usual inbox handler: a few writes): a lane takes all that waits, up to maxBatch, and another
//   lane opens only for a full batch or for a delivery that has waited laneWaitMs, so that batches grow with the
//   load and the transaction's cost is shared by many;
// - slow handlers (an outside call inside the transaction): the waiting deliveries are shared among the free lanes,
//   so that as many handlers run side by side as with a transaction per message.
import { AsyncResource } from 'node:async_hooks';
import { and, eq, getTableName, lt, sql } from 'drizzle-orm';
import type { IdempotencyClaim, IdempotencyResult, IdempotencyStore } from '@app/messaging';
import { rowsOf, type Database, type DatabaseHandle, type Transaction } from '../database/database';
import { inbox } from '../database/messaging-tables';
import { DATABASE_DEPENDENCY } from '../database/postgres-errors';

type Work = (transaction?: Transaction) => Promise<void>;

interface Pending {
  claim: IdempotencyClaim;
  /** performance.now() when it was queued. */
  queuedAt: number;
  work: Work;
  /**
   * The delivery's async context: the batch runs in whichever context started it, and each handler must run in its
   * own delivery's (correlation, trace), as it would with a transaction of its own. (A plain AsyncResource:
   * AsyncResource.bind costs several times more.)
   */
  scope: AsyncResource;
  /** What the batch made of it, once its handler has run (kept here rather than in a map per batch). */
  result?: IdempotencyResult | { error: unknown };
  resolve(result: IdempotencyResult): void;
  reject(error: unknown): void;
}

export interface InboxBatching {
  /** Most batches at once (each holds a connection of the pool). */
  lanes: number;
  /**
   * Most deliveries in one transaction. Default 32: each writing handler's savepoint is a subtransaction, and past 64
   * of them PostgreSQL's snapshots get slower for every session.
   */
  maxBatch?: number;
  /** How long a delivery waits for a busy lane (quick handlers) before another lane opens for it. Default 10 ms. */
  laneWaitMs?: number;
}

/** Average handler time (ms) below which handlers count as quick. */
const QUICK_HANDLER_MS = 1;
/** Weight of the newest handler time in the running average. */
const HANDLER_TIME_WEIGHT = 0.2;

const SAVEPOINT_TEXT = 'SAVEPOINT inbox_handler';
const SAVEPOINT = sql.raw(SAVEPOINT_TEXT);
const ROLLBACK_TO_SAVEPOINT = sql.raw('ROLLBACK TO SAVEPOINT inbox_handler');

/**
 * The claims of a batch, in key order (so that two batches claiming the same keys lock them in the same order: no
 * deadlock): one statement of three array parameters ($1 consumers, $2 keys, $3 message ids), as building a row of
 * parameters per message costs more than the insert. A concurrent delivery of the same key (another instance) waits
 * on the primary key until this transaction ends, then finds it claimed. The text is made once from the table: drizzle
 * building it on every batch cost more than the statement's round trip.
 */
const CLAIM_TEXT = (() => {
  const column = (name: string) => `"${name}"`;
  const { consumer, messageKey, messageId } = inbox;
  return (
    `insert into "${getTableName(inbox)}" (${column(consumer.name)}, ${column(messageKey.name)}, ${column(messageId.name)}) ` +
    'select * from unnest($1::text[], $2::text[], $3::text[]) on conflict do nothing ' +
    `returning ${column(consumer.name)} as consumer, ${column(messageKey.name)} as key`
  );
})();

export class DatabaseIdempotencyStore implements IdempotencyStore {
  /** Its handlers' consumers pause while the database is down. */
  readonly dependency = DATABASE_DEPENDENCY;
  /** Deliveries waiting for a lane. */
  private queue: Pending[] = [];
  private busyLanes = 0;
  private scheduled = false;
  /** Set while a delivery waits for a busy lane: when it fires, another lane may open. */
  private laneTimer?: NodeJS.Timeout;
  /** Running average of handler time (ms), savepoint included. */
  private handlerMs = 0;
  /** The context batches run in: the store's own (made at start), not that of the delivery that happened to come first. */
  private readonly batchScope = new AsyncResource('InboxBatch');

  constructor(
    private readonly db: Database,
    private readonly batching: InboxBatching = { lanes: 1 },
  ) {}

  /**
   * The inbox of a service's database, as DatabaseModule makes it: batches hold at most half the pool's connections,
   * so that the relay and the service's own requests keep connections of their own under load.
   */
  static forDatabase(handle: Pick<DatabaseHandle, 'db' | 'connections'>): DatabaseIdempotencyStore {
    return new DatabaseIdempotencyStore(handle.db, { lanes: Math.ceil(handle.connections / 2) });
  }

  runOnce(claim: IdempotencyClaim, work: Work): Promise<IdempotencyResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ claim, queuedAt: performance.now(), work, scope: new AsyncResource('InboxHandler'), resolve, reject });
      // Once per event-loop turn, so that the deliveries of one turn can share a batch.
      if (!this.scheduled && this.busyLanes < this.batching.lanes) {
        this.scheduled = true;
        setImmediate(() =>
          this.batchScope.runInAsyncScope(() => {
            this.scheduled = false;
            this.startBatches();
          }),
        );
      }
    });
  }

  /** Deletes marks older than `olderThan`. Returns how many. */
  async deleteOlderThan(olderThan: Date): Promise<number> {
    const deleted = await this.db
      .delete(inbox)
      .where(and(lt(inbox.processedAt, olderThan)))
      .returning({ key: inbox.messageKey });
    return deleted.length;
  }

  /** Starts batches on free lanes (see the top of this file for how deliveries are shared among them). */
  private startBatches(): void {
    const { lanes, maxBatch = 32, laneWaitMs = 10 } = this.batching;
    while (this.queue.length > 0 && this.busyLanes < lanes) {
      let size = maxBatch;
      if (this.handlerMs >= QUICK_HANDLER_MS) {
        size = Math.min(maxBatch, Math.ceil(this.queue.length / (lanes - this.busyLanes)));
      } else if (this.busyLanes > 0 && this.queue.length < maxBatch) {
        const waited = performance.now() - this.queue[0].queuedAt;
        if (waited < laneWaitMs) {
          this.laneTimer ??= setTimeout(() => {
            this.laneTimer = undefined;
            this.batchScope.runInAsyncScope(() => this.startBatches());
          }, laneWaitMs - waited);
          return;
        }
      }
      const batch = takeBatch(this.queue, size);
      this.busyLanes++;
      void this.runBatch(batch).finally(() => {
        this.busyLanes--;
        this.startBatches();
      });
    }
  }

  private async runBatch(batch: Pending[]): Promise<void> {
    try {
      await this.db.transaction(async (tx) => {
        const claims = batch.map(({ claim }) => claim).sort(byKey);
        const claimed = await queryRows<{ consumer: string; key: string }>(tx, CLAIM_TEXT, [
          claims.map((claim) => claim.consumer),
          claims.map((claim) => claim.key),
          claims.map((claim) => claim.messageId),
        ]);
        const fresh = new ClaimKeys();
        for (const row of claimed) fresh.add(row.consumer, row.key);
        const savepoints = savepointsFor(tx);
        try {
          for (const pending of batch) {
            const { claim } = pending;
            if (!fresh.has(claim.consumer, claim.key)) {
              pending.result = 'duplicate';
              continue;
            }
            const savepoint = savepoints.before();
            const started = performance.now();
            try {
              await pending.scope.runInAsyncScope(pending.work, undefined, tx);
              await savepoint.settled();
              this.timed(started);
              pending.result = 'processed';
            } catch (error) {
              this.timed(started);
              if (await savepoint.settled()) await tx.execute(ROLLBACK_TO_SAVEPOINT);
              await tx.delete(inbox).where(and(eq(inbox.consumer, claim.consumer), eq(inbox.messageKey, claim.key)));
              pending.result = { error };
            }
          }
        } finally {
          savepoints.close();
        }
      });
    } catch (error) {
      // Nothing of the batch committed: every delivery fails with the database's error (or its handler's own).
      for (const pending of batch) {
        const result = pending.result;
        pending.reject(result && typeof result === 'object' ? result.error : error);
      }
      return;
    }
    for (const pending of batch) {
      const result = pending.result!;
      if (typeof result === 'object') pending.reject(result.error);
      else pending.resolve(result);
    }
  }

  private timed(started: number): void {
    this.handlerMs += (performance.now() - started - this.handlerMs) * HANDLER_TIME_WEIGHT;
  }
}

/** The driver's client a drizzle transaction runs on (node-postgres's PoolClient, PGlite's transaction), if found. */
export function driverClientOf(tx: Transaction): { query(text: string, params?: unknown[]): Promise<unknown> } | undefined {
  const client = (tx as unknown as { session?: { client?: { query?: unknown } } }).session?.client;
  return client && typeof client.query === 'function' ? (client as ReturnType<typeof driverClientOf>) : undefined;
}

/**
 * Runs one of the store's own statements (fixed text, parameters $1, $2...) in the transaction, straight on the
 * driver's client (both drivers answer `{ rows }`); through drizzle only should its transaction no longer show it.
 */
export async function queryRows<T>(tx: Transaction, text: string, params: unknown[]): Promise<T[]> {
  const client = driverClientOf(tx);
  if (client) return rowsOf<T>(await client.query(text, params));
  const statement = sql.empty();
  // The split keeps each parameter's number at the odd places, between the text's parts.
  for (const [i, part] of text.split(/\$(\d+)/).entries()) {
    statement.append(i % 2 === 0 ? sql.raw(part) : sql`${sql.param(params[Number(part) - 1])}`);
  }
  return rowsOf<T>(await tx.execute(statement));
}

interface Savepoint {
  /** Resolves once the savepoint (if one was needed) is in place: true if there is one to roll back to. */
  settled(): Promise<boolean>;
}

interface Savepoints {
  /** Sets a savepoint for the next handler. */
  before(): Savepoint;
  close(): void;
}

/**
 * Savepoints for the handlers of a batch. On node-postgres the SAVEPOINT goes out just ahead of the handler's first
 * query (its connection's query method is wrapped for the batch): a handler that does not touch the database costs no
 * round trip. Elsewhere (PGlite) it is sent before the handler runs. drizzle's query objects run on each `then`, so
 * `then` is called exactly once.
 */
function savepointsFor(tx: Transaction): Savepoints {
  const client = (tx as unknown as { session?: { client?: { query?: unknown } } }).session?.client;
  if (!client || typeof client.query !== 'function' || Object.prototype.hasOwnProperty.call(client, 'query')) {
    return {
      before() {
        const sent = tx.execute(SAVEPOINT).then(() => true);
        sent.catch(() => undefined);
        return { settled: () => sent };
      },
      close() {},
    };
  }
  const query = client.query as (this: unknown, ...args: unknown[]) => unknown;
  let armed = false;
  let sent: Promise<boolean> = Promise.resolve(false);
  client.query = function (this: unknown, ...args: unknown[]) {
    if (armed) {
      armed = false;
      sent = (query.call(this, SAVEPOINT_TEXT) as Promise<unknown>).then(() => true);
      sent.catch(() => undefined);
    }
    return query.apply(this, args);
  };
  return {
    before() {
      armed = true;
      sent = Promise.resolve(false);
      return {
        settled: () => {
          armed = false;
          return sent;
        },
      };
    },
    close() {
      delete client.query;
    },
  };
}

/** A set of (consumer, key) pairs, without a string made per pair to look one up. */
class ClaimKeys {
  private readonly byConsumer = new Map<string, Set<string>>();

  add(consumer: string, key: string): void {
    const keys = this.byConsumer.get(consumer);
    if (keys) keys.add(key);
    else this.byConsumer.set(consumer, new Set([key]));
  }

  has(consumer: string, key: string): boolean {
    return this.byConsumer.get(consumer)?.has(key) ?? false;
  }
}

function byKey(a: IdempotencyClaim, b: IdempotencyClaim): number {
  return a.consumer < b.consumer ? -1 : a.consumer > b.consumer ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * Takes up to `size` deliveries from the front of `queue` (removing them), stopping before a second delivery of a key
 * already taken: a later delivery must see the earlier one's mark, committed or rolled back.
 */
export function takeBatch<T extends { claim: IdempotencyClaim }>(queue: T[], size: number): T[] {
  const taken = new ClaimKeys();
  let count = 0;
  while (count < queue.length && count < size) {
    const { claim } = queue[count];
    if (taken.has(claim.consumer, claim.key)) break;
    taken.add(claim.consumer, claim.key);
    count++;
  }
  return queue.splice(0, Math.max(1, count));
}
