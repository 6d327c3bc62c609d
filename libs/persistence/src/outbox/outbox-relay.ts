// Publishes pending outbox rows in batches: row locks keep relays apart, confirms come before rows are marked sent.
// It starts once the database is there (connected and migrated) and waits, without counting failures, while it is
// away; a broker that refuses rows makes it back off.
import { Inject, Injectable, Logger, Optional, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { and, eq, inArray, isNotNull, isNull, lt, min, notInArray, sql } from 'drizzle-orm';
import {
  AmqpConnection,
  DependencyMonitor,
  dependencyOutageOf,
  errorMessage,
  MessagePublisher,
  MESSAGING_INSTRUMENTATION,
  ShutdownSequence,
  type MessagingInstrumentation,
  type OutgoingMessage,
} from '@app/messaging';
import { rowsOf, type DatabaseHandle, type Transaction } from '../database/database';
import { outbox } from '../database/messaging-tables';
import { DATABASE_DEPENDENCY } from '../database/postgres-errors';
import { DATABASE, DATABASE_AVAILABILITY, OUTBOX_OPTIONS } from '../persistence.constants';
import type { ResolvedOutboxOptions } from './outbox-options';

type OutboxRow = typeof outbox.$inferSelect;
/** What the relay reads of a row. */
type RelayRow = Pick<
  OutboxRow,
  'seq' | 'messageId' | 'messageType' | 'exchange' | 'routingKey' | 'content' | 'properties' | 'aggregateKey' | 'attempts'
>;

/** How long the last pass at shutdown may go on starting batches. */
const FINAL_PASS_BUDGET_MS = 5000;
/** The wait after a batch failed because the database is away (its monitor's return wakes the relay sooner). */
const DATABASE_WAIT_MS = 1000;

@Injectable()
export class OutboxRelay implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger('Outbox');
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly wakers = new Set<() => void>();
  private failures = 0;
  private lastCleanup = 0;
  /** Exchanges seen to exist on the broker. */
  private readonly knownExchanges = new Set<string>();
  /** Rows published by this relay since start. */
  published = 0;

  constructor(
    @Inject(OUTBOX_OPTIONS) private readonly options: ResolvedOutboxOptions,
    private readonly publisher: MessagePublisher,
    private readonly connection: AmqpConnection,
    private readonly shutdown: ShutdownSequence,
    @Optional() @Inject(DATABASE) private readonly database?: DatabaseHandle,
    @Optional() @Inject(MESSAGING_INSTRUMENTATION) private readonly instrumentation?: MessagingInstrumentation,
    @Optional() @Inject(DATABASE_AVAILABILITY) private readonly availability?: DependencyMonitor,
  ) {}

  /** At shutdown the relay stops after the consumers have drained: it publishes what their handlers wrote. */
  onModuleInit(): void {
    this.shutdown.afterConsumersDrain(() => this.stop());
  }

  onApplicationBootstrap(): void {
    if (!this.database) return;
    // No query while the database is known to be away: a scrape must not wait for a connection that cannot be made.
    this.instrumentation?.setSampler('outboxPending', () =>
      this.databaseDown ? Promise.reject(new Error('the database is unavailable')) : this.pending(),
    );
    // Back from an outage: the loops waiting for it go on at once.
    this.availability?.onChange((up) => {
      if (up) for (const wake of this.wakers) wake();
    });
    if (this.options.relay) this.start();
  }

  /** The database's monitor has it down (or not there yet: before its migrations, the relay must not run). */
  private get databaseDown(): boolean {
    return this.availability !== undefined && !this.availability.isUp;
  }

  start(): void {
    if (this.running) return;
    if (!this.database) throw new Error('The outbox relay needs DatabaseModule.forRoot() in the application');
    this.running = true;
    // Several loops, so that one batch's database work overlaps another's wait for confirms. Row locks keep them
    // apart as they keep relays of several processes apart. PGlite has one connection: one loop.
    const loops = this.database.kind === 'pglite' ? 1 : this.options.concurrency;
    this.loops = Array.from({ length: loops }, () => this.run());
  }

  /**
   * Finishes the batch in progress, then makes one last pass for what the draining handlers wrote, and stops. Rows it
   * cannot publish (the broker is away) stay in the table for the next start.
   */
  async stop(): Promise<void> {
    const wasRunning = this.running;
    this.running = false;
    for (const wake of this.wakers) wake();
    await Promise.all(this.loops);
    // No last pass while the broker or the database is failing: it would only hold up the shutdown.
    if (!wasRunning || this.failures > 0 || this.databaseDown) return;
    const deadline = Date.now() + FINAL_PASS_BUDGET_MS;
    try {
      while ((await this.relayOnce()) === this.options.batchSize && Date.now() < deadline) {
        // a full batch: there may be more
      }
    } catch (error) {
      this.logger.warn({ event: 'outbox.final_pass_failed', reason: errorMessage(error) });
    }
  }

  /**
   * One batch: returns how many rows it took up (published or deferred). Rows are published in seq order, those of one
   * aggregate key one after the other, keys side by side. A row the broker refuses (a missing exchange, a nack) waits
   * with a growing delay and holds back the later rows of its key; the others are published and marked sent. When no
   * row at all goes out, the broker is taken to be away: the transaction rolls back and the relay backs off.
   */
  async relayOnce(): Promise<number> {
    const { db } = this.requireDatabase();
    const { batchSize } = this.options;
    return db.transaction(async (tx) => {
      // Plain SQL and plain rows: mapping 200 rows through the query builder cost more than the query.
      const candidates = rowsOf<RelayRow & { seq: string | number }>(
        await tx.execute(sql`
          select ${outbox.seq} as "seq", ${outbox.messageId} as "messageId", ${outbox.messageType} as "messageType",
                 ${outbox.exchange} as "exchange", ${outbox.routingKey} as "routingKey", ${outbox.content} as "content",
                 ${outbox.properties} as "properties", ${outbox.aggregateKey} as "aggregateKey", ${outbox.attempts} as "attempts"
          from ${outbox}
          where ${outbox.sentAt} is null and (${outbox.availableAt} is null or ${outbox.availableAt} <= ${new Date()})
          order by ${outbox.seq}
          limit ${batchSize}
          for update skip locked`),
      ).map((row) => ({ ...row, seq: Number(row.seq) }));
      const rows = await this.inKeyOrder(tx, candidates);
      if (rows.length === 0) return 0;
      const sent: number[] = [];
      const refused: Array<{ row: RelayRow; error: unknown }> = [];
      const missing = await this.missingExchanges(rows);
      await Promise.all(
        groupByKey(rows).map(async (group) => {
          for (const row of group) {
            try {
              // Publishing to a missing exchange would close the channel, failing every publish in flight with it.
              if (missing.has(row.exchange)) throw new Error(`Exchange "${row.exchange}" does not exist`);
              await this.publisher.send(toOutgoing(row));
              sent.push(row.seq);
            } catch (error) {
              refused.push({ row, error });
              return; // later rows of this key wait for it
            }
          }
        }),
      );
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows what the first refused publish threw, as it was thrown
      if (sent.length === 0) throw refused[0]?.error ?? new Error('nothing published');
      await tx.execute(sql`update ${outbox} set ${sql.identifier(outbox.sentAt.name)} = ${new Date()}, ${sql.identifier(outbox.attempts.name)} = ${outbox.attempts} + 1
        where ${outbox.seq} = any(${sql.param(sent)}::bigint[])`);
      for (const { row, error } of refused) {
        const attempts = row.attempts + 1;
        await tx
          .update(outbox)
          .set({ attempts, lastError: errorMessage(error), availableAt: new Date(Date.now() + rowBackoffMs(attempts)) })
          .where(eq(outbox.seq, row.seq));
        this.logger.warn({
          event: 'outbox.row_refused',
          messageId: row.messageId,
          type: row.messageType,
          attempts,
          reason: errorMessage(error),
        });
      }
      this.published += sent.length;
      return rows.length;
    });
  }

  /** The exchanges of `rows` that the broker does not have (checked once each, on a short-lived channel). */
  private async missingExchanges(rows: RelayRow[]): Promise<Set<string>> {
    const missing = new Set<string>();
    for (const exchange of new Set(rows.map((row) => row.exchange))) {
      if (exchange === '' || this.knownExchanges.has(exchange)) continue;
      try {
        await this.connection.withTemporaryChannel((channel) => channel.checkExchange(exchange));
        this.knownExchanges.add(exchange);
      } catch (error) {
        if ((error as { code?: unknown }).code === 404) missing.add(exchange);
        else throw error; // not connected: the whole batch waits
      }
    }
    return missing;
  }

  /** Deletes sent rows older than the retention period; runs by itself once a minute. Returns how many. */
  async cleanup(): Promise<number> {
    const { db } = this.requireDatabase();
    const cutoff = new Date(Date.now() - this.options.retentionMs);
    const deleted = await db
      .delete(outbox)
      .where(and(isNotNull(outbox.sentAt), lt(outbox.sentAt, cutoff)))
      .returning({ seq: outbox.seq });
    if (deleted.length > 0) this.logger.log({ event: 'outbox.cleaned', deleted: deleted.length });
    return deleted.length;
  }

  /** Pending rows and the age in ms of the oldest (for health and metrics). */
  async pending(): Promise<{ count: number; oldestAgeMs: number }> {
    const { db } = this.requireDatabase();
    const [row] = await db
      .select({ oldest: min(outbox.createdAt) })
      .from(outbox)
      .where(isNull(outbox.sentAt));
    const counted = await db.$count(outbox, isNull(outbox.sentAt));
    const oldest = row?.oldest ? new Date(row.oldest).getTime() : undefined;
    return { count: counted, oldestAgeMs: oldest ? Math.max(0, Date.now() - oldest) : 0 };
  }

  /**
   * Drops from a batch the rows of an aggregate key that has an earlier pending row outside the batch (locked by
   * another relay): publishing them now would overtake it. They come back in a later batch.
   */
  private async inKeyOrder(tx: Transaction, rows: RelayRow[]): Promise<RelayRow[]> {
    const keys = [...new Set(rows.map((row) => row.aggregateKey).filter((key): key is string => key !== null))];
    if (keys.length === 0) return rows;
    const earlier = await tx
      .select({ key: outbox.aggregateKey, seq: min(outbox.seq) })
      .from(outbox)
      .where(
        and(
          isNull(outbox.sentAt),
          isNotNull(outbox.aggregateKey),
          inArray(outbox.aggregateKey, keys),
          notInArray(
            outbox.seq,
            rows.map((row) => row.seq),
          ),
        ),
      )
      .groupBy(outbox.aggregateKey);
    const blockedFrom = new Map(earlier.map((entry) => [entry.key as string, Number(entry.seq)]));
    return rows.filter((row) => row.aggregateKey === null || !(row.seq > (blockedFrom.get(row.aggregateKey) ?? Number.POSITIVE_INFINITY)));
  }

  private async run(): Promise<void> {
    const { pollIntervalMs } = this.options;
    while (this.running) {
      if (this.databaseDown) {
        await this.sleep(60_000); // woken when the database is back, or at stop
        continue;
      }
      let taken = 0;
      try {
        taken = await this.relayOnce();
        if (this.failures > 0) this.logger.log({ event: 'outbox.relay_recovered', afterFailures: this.failures });
        this.failures = 0;
      } catch (error) {
        // The pool turns every failure of a lost or refused connection into this; a broker error never is one.
        if (dependencyOutageOf(error)?.dependency === DATABASE_DEPENDENCY) {
          // Not the broker's failure: no backoff for it. The database's monitor decides when to go on.
          this.availability?.reportFailure(error);
          this.logger.debug({ event: 'outbox.relay_waiting_for_database', reason: errorMessage(error) });
          await this.sleep(DATABASE_WAIT_MS);
          continue;
        }
        this.failures++;
        this.logger.warn({ event: 'outbox.relay_failed', failures: this.failures, reason: errorMessage(error) });
      }
      await this.cleanupIfDue().catch((error: unknown) =>
        this.logger.warn({ event: 'outbox.cleanup_failed', reason: errorMessage(error) }),
      );
      if (taken === this.options.batchSize && this.failures === 0) continue;
      const waitMs = this.failures > 0 ? Math.min(30_000, pollIntervalMs * 2 ** Math.min(this.failures, 8)) : pollIntervalMs;
      await this.sleep(waitMs);
    }
  }

  private async cleanupIfDue(): Promise<void> {
    const now = Date.now();
    if (now - this.lastCleanup < 60_000) return;
    this.lastCleanup = now;
    await this.cleanup();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const wakers = this.wakers;
      function done(): void {
        clearTimeout(timer);
        wakers.delete(done);
        resolve();
      }
      wakers.add(done);
    });
  }

  private requireDatabase(): DatabaseHandle {
    if (!this.database) throw new Error('The outbox needs DatabaseModule.forRoot() in the application');
    return this.database;
  }
}

/** Rows of one aggregate key together, in seq order; a row without a key is a group of its own. */
function groupByKey(rows: RelayRow[]): RelayRow[][] {
  const groups = new Map<string, RelayRow[]>();
  for (const row of rows) {
    const key = row.aggregateKey ?? `#${row.seq}`;
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return [...groups.values()];
}

/** Wait before a refused row is tried again: 1 s, doubling, at most an hour. */
function rowBackoffMs(attempts: number): number {
  return Math.min(3_600_000, 1000 * 2 ** Math.min(attempts - 1, 12));
}

function toOutgoing(row: RelayRow): OutgoingMessage {
  return {
    exchange: row.exchange,
    routingKey: row.routingKey,
    content: Buffer.from(row.content, 'utf8'),
    properties: row.properties,
  };
}
