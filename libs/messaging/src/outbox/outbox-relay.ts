// Publishes pending outbox rows in batches: row locks keep relays apart, confirms come before rows are marked sent.
import { Inject, Injectable, Logger, Optional, type OnApplicationBootstrap } from '@nestjs/common';
import { and, asc, inArray, isNotNull, isNull, lt, min, notInArray } from 'drizzle-orm';
import { errorMessage } from '../dead-letter/dead-letter-headers';
import { MESSAGING_OPTIONS } from '../messaging.constants';
import type { ResolvedMessagingOptions } from '../options/messaging-options';
import type { DatabaseHandle, Transaction } from '../persistence/database';
import { DATABASE } from '../persistence/database.module';
import { outbox } from '../persistence/messaging-tables';
import { MessagePublisher } from '../publishing/message-publisher';
import { MessagingMetrics } from '../telemetry/messaging-metrics';
import type { OutgoingMessage } from '../publishing/outgoing-message';

type OutboxRow = typeof outbox.$inferSelect;

@Injectable()
export class OutboxRelay implements OnApplicationBootstrap {
  private readonly logger = new Logger('Outbox');
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private failures = 0;
  private lastCleanup = 0;
  /** Rows published by this relay since start. */
  published = 0;

  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly options: ResolvedMessagingOptions,
    private readonly publisher: MessagePublisher,
    @Optional() @Inject(DATABASE) private readonly database?: DatabaseHandle,
    @Optional() private readonly metrics?: MessagingMetrics,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.database) return;
    this.metrics?.setSampler('outboxPending', () => this.pending());
    if (this.options.outbox.relay) this.start();
  }

  start(): void {
    if (this.running) return;
    if (!this.database) throw new Error('The outbox relay needs DatabaseModule.forRoot() in the application');
    this.running = true;
    this.loop = this.run();
  }

  /**
   * Finishes the batch in progress, then makes one last pass for what the draining handlers wrote, and stops. Rows it
   * cannot publish (the broker is away) stay in the table for the next start.
   */
  async stop(): Promise<void> {
    const wasRunning = this.running;
    this.running = false;
    this.wake?.();
    await this.loop;
    if (!wasRunning) return;
    try {
      while ((await this.relayOnce()) === this.options.outbox.batchSize) {
        // a full batch: there may be more
      }
    } catch (error) {
      this.logger.warn({ event: 'outbox.final_pass_failed', reason: errorMessage(error) });
    }
  }

  /** Asks for a relay pass soon (after a commit that added rows), instead of at the next poll. */
  nudge(): void {
    this.wake?.();
  }

  /** One batch: returns how many rows were published. */
  async relayOnce(): Promise<number> {
    const { db } = this.requireDatabase();
    const { batchSize } = this.options.outbox;
    return db.transaction(async (tx) => {
      const candidates = await tx
        .select()
        .from(outbox)
        .where(isNull(outbox.sentAt))
        .orderBy(asc(outbox.seq))
        .limit(batchSize)
        .for('update', { skipLocked: true });
      const rows = await this.inKeyOrder(tx, candidates);
      if (rows.length === 0) return 0;
      // One channel, published in seq order: the broker keeps that order; confirms are awaited together.
      await Promise.all(rows.map((row) => this.publisher.send(toOutgoing(row))));
      await tx
        .update(outbox)
        .set({ sentAt: new Date(), attempts: 1 })
        .where(inArray(outbox.seq, rows.map((row) => row.seq)));
      this.published += rows.length;
      return rows.length;
    });
  }

  /** Pending rows and the age in ms of the oldest (for health and metrics). */
  async pending(): Promise<{ count: number; oldestAgeMs: number }> {
    const { db } = this.requireDatabase();
    const [row] = await db.select({ oldest: min(outbox.createdAt) }).from(outbox).where(isNull(outbox.sentAt));
    const counted = await db.$count(outbox, isNull(outbox.sentAt));
    const oldest = row?.oldest ? new Date(row.oldest).getTime() : undefined;
    return { count: counted, oldestAgeMs: oldest ? Math.max(0, Date.now() - oldest) : 0 };
  }

  /**
   * Drops from a batch the rows of an aggregate key that has an earlier pending row outside the batch (locked by
   * another relay): publishing them now would overtake it. They come back in a later batch.
   */
  private async inKeyOrder(tx: Transaction, rows: OutboxRow[]): Promise<OutboxRow[]> {
    const keys = [...new Set(rows.map((row) => row.aggregateKey).filter((key): key is string => key !== null))];
    if (keys.length === 0) return rows;
    const earlier = await tx
      .select({ key: outbox.aggregateKey, seq: min(outbox.seq) })
      .from(outbox)
      .where(and(isNull(outbox.sentAt), isNotNull(outbox.aggregateKey), inArray(outbox.aggregateKey, keys), notInArray(outbox.seq, rows.map((row) => row.seq))))
      .groupBy(outbox.aggregateKey);
    const blockedFrom = new Map(earlier.map((entry) => [entry.key as string, Number(entry.seq)]));
    return rows.filter((row) => row.aggregateKey === null || !(row.seq > (blockedFrom.get(row.aggregateKey) ?? Number.POSITIVE_INFINITY)));
  }

  private async run(): Promise<void> {
    const { pollIntervalMs } = this.options.outbox;
    while (this.running) {
      let published = 0;
      try {
        published = await this.relayOnce();
        if (this.failures > 0) this.logger.log({ event: 'outbox.relay_recovered', afterFailures: this.failures });
        this.failures = 0;
        await this.cleanupIfDue();
      } catch (error) {
        this.failures++;
        this.logger.warn({ event: 'outbox.relay_failed', failures: this.failures, reason: errorMessage(error) });
      }
      if (published === this.options.outbox.batchSize && this.failures === 0) continue;
      const waitMs = this.failures > 0 ? Math.min(30_000, pollIntervalMs * 2 ** Math.min(this.failures, 8)) : pollIntervalMs;
      await this.sleep(waitMs);
    }
  }

  private async cleanupIfDue(): Promise<void> {
    const now = Date.now();
    if (now - this.lastCleanup < 60_000) return;
    this.lastCleanup = now;
    const { db } = this.requireDatabase();
    const cutoff = new Date(now - this.options.outbox.retentionMs);
    const deleted = await db.delete(outbox).where(and(isNotNull(outbox.sentAt), lt(outbox.sentAt, cutoff))).returning({ seq: outbox.seq });
    if (deleted.length > 0) this.logger.log({ event: 'outbox.cleaned', deleted: deleted.length });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private requireDatabase(): DatabaseHandle {
    if (!this.database) throw new Error('The outbox needs DatabaseModule.forRoot() in the application');
    return this.database;
  }
}

function toOutgoing(row: OutboxRow): OutgoingMessage {
  return {
    exchange: row.exchange,
    routingKey: row.routingKey,
    content: Buffer.from(row.content, 'utf8'),
    properties: row.properties,
  };
}
