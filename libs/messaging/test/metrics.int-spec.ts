// Integration: GET /metrics after real consume outcomes, publishes, duplicates, outbox backlog and queue backlog —
// asserted as deltas between two scrapes, the way a dashboard reads counters.
import type { Server } from 'node:http';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { IsString } from 'class-validator';
import request from 'supertest';
import {
  Idempotent,
  MessageHandler,
  ConsumerSupervisor,
  MessagePublisher,
  MessagingModule,
  PermanentError,
  Retryable,
  TransientError,
} from '@app/messaging';
import { DATABASE, DatabaseModule, Outbox, OutboxRelay, type DatabaseHandle } from '@app/persistence';
import { MetricsModule } from '@app/service-kit';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { createTestVhost, eventually, type TestVhost } from '../../../test/support/test-broker';

class JobQueued {
  static readonly messageType = 'job.queued';
  static readonly schemaVersion = 1;
  @IsString() id!: string;
  /** "ok", "transient-once" (fails the first attempt), "permanent". */
  @IsString() behaviour!: string;
}

class PingDeduped {
  static readonly messageType = 'ping.deduped';
  static readonly schemaVersion = 1;
  @IsString() id!: string;
}

class BatchArrived {
  static readonly messageType = 'batch.arrived';
  static readonly schemaVersion = 1;
  @IsString() id!: string;
}

class AuditLogged {
  static readonly messageType = 'audit.logged';
  static readonly schemaVersion = 1;
  @IsString() entry!: string;
}

@Injectable()
class JobHandler {
  readonly attempts = new Map<string, number>();
  readonly done = new Set<string>();

  @MessageHandler(JobQueued)
  @Retryable({ maxAttempts: 3, backoff: { initialMs: 100, factor: 1, jitter: 'none' } })
  onJob(job: JobQueued): void {
    const attempt = (this.attempts.get(job.id) ?? 0) + 1;
    this.attempts.set(job.id, attempt);
    if (job.behaviour === 'permanent') throw new PermanentError(`job ${job.id} can never work`);
    if (job.behaviour === 'transient-once' && attempt === 1) throw new TransientError(`job ${job.id} failed for now`);
    this.done.add(job.id);
  }
}

@Injectable()
class PingHandler {
  runs = 0;

  @MessageHandler(PingDeduped)
  @Idempotent({ store: 'memory' })
  onPing(): void {
    this.runs++;
  }
}

/** Holds every delivery until released, so that its queue backs up (prefetch 1: one in flight, the rest ready). */
@Injectable()
class BatchHandler {
  started = 0;
  private release!: () => void;
  private gate = new Promise<void>((resolve) => (this.release = resolve));

  @MessageHandler(BatchArrived, { prefetch: 1 })
  async onBatch(): Promise<void> {
    this.started++;
    await this.gate;
  }

  open(): void {
    this.release();
  }
}

const SERVICE = 'metered';
const JOBS = `${SERVICE}.${JobQueued.messageType}`;
const PINGS = `${SERVICE}.${PingDeduped.messageType}`;
const BATCHES = `${SERVICE}.${BatchArrived.messageType}`;

/** Sum of the samples of `name` whose labels include `labels` (0 when there is none: a counter never incremented). */
function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) total += Number(match[3]);
  }
  return total;
}

describe('GET /metrics', () => {
  let vhost: TestVhost;
  let testDb: TestDatabase;
  let app: INestApplication<Server>;
  let publisher: MessagePublisher;

  const scrape = async (): Promise<string> => {
    const response = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    return response.text;
  };

  beforeAll(async () => {
    vhost = await createTestVhost('metrics');
    testDb = await createTestDatabase('metrics');
    const moduleRef = await Test.createTestingModule({
      imports: [
        MetricsModule,
        // The relay is started by the outbox test, so that rows can be seen waiting first.
        DatabaseModule.forRoot({
          serviceName: SERVICE,
          url: testDb.url,
          dataDir: testDb.dataDir,
          outbox: { relay: false, pollIntervalMs: 20 },
        }),
        MessagingModule.forRoot({
          url: vhost.url,
          serviceName: SERVICE,
          delay: 'ladder',
          shutdownTimeoutMs: 500,
        }),
      ],
      providers: [JobHandler, PingHandler, BatchHandler],
    }).compile();
    app = moduleRef.createNestApplication<INestApplication<Server>>();
    await app.init();
    await app.get(ConsumerSupervisor).waitUntilReady();
    publisher = app.get(MessagePublisher);
  });

  afterAll(async () => {
    app?.get(BatchHandler).open();
    await app?.close();
    await vhost?.delete();
    await testDb?.drop();
  });

  it('counts each consume outcome, publish confirms and skipped duplicates, and shows dead letters waiting', async () => {
    const before = await scrape();
    const handler = app.get(JobHandler);
    const pings = app.get(PingHandler);

    for (const [id, behaviour] of [
      ['ok', 'ok'],
      ['flaky', 'transient-once'],
      ['doomed', 'permanent'],
    ]) {
      await publisher.publish(JobQueued, { id, behaviour });
    }
    // The copy goes out once the first is handled (a copy arriving during it would be retried, not skipped).
    await publisher.publish(PingDeduped, { id: 'p' }, { messageId: 'ping-1' });
    await eventually(() => pings.runs === 1, 'the first ping handled');
    await publisher.publish(PingDeduped, { id: 'p' }, { messageId: 'ping-1' });

    let after = '';
    await eventually(
      async () => {
        after = await scrape();
        // Judged on the scrape alone: outcomes are counted after the handler returns and the delivery is settled.
        return (
          metric(after, 'messaging_messages_acked_total', { queue: JOBS }) >= 2 &&
          metric(after, 'messaging_messages_dead_lettered_total', { queue: JOBS }) >= 1 &&
          metric(after, 'messaging_messages_acked_total', { queue: PINGS }) >= 2 &&
          metric(after, 'messaging_dead_letter_queue_depth', { queue: JOBS }) >= 1
        );
      },
      'every job settled and both pings acked',
      15_000,
    );
    const delta = (name: string, labels: Record<string, string> = {}) => metric(after, name, labels) - metric(before, name, labels);
    const jobs = { queue: JOBS, type: JobQueued.messageType };
    if (process.env.E2E_DEBUG) {
      console.log(
        after
          .split('\n')
          .filter((line) => line.startsWith('messaging_') && !/_bucket\{/.test(line))
          .join('\n'),
      );
    }

    expect([...handler.done].sort()).toEqual(['flaky', 'ok']);
    expect(Object.fromEntries(handler.attempts)).toEqual({ ok: 1, flaky: 2, doomed: 1 });
    // ok (1) + flaky (2 deliveries) + doomed (1)
    expect(delta('messaging_messages_consumed_total', jobs)).toBe(4);
    expect(delta('messaging_messages_acked_total', jobs)).toBe(2);
    expect(delta('messaging_messages_retried_total', jobs)).toBe(1);
    expect(delta('messaging_messages_dead_lettered_total', { ...jobs, reason: 'permanent' })).toBe(1);
    expect(delta('messaging_messages_dead_lettered_total', jobs)).toBe(1);
    expect(delta('messaging_handler_duration_seconds_count', { type: JobQueued.messageType, outcome: 'ack' })).toBe(2);
    expect(delta('messaging_handler_duration_seconds_count', { type: JobQueued.messageType, outcome: 'retry' })).toBe(1);
    expect(delta('messaging_handler_duration_seconds_count', { type: JobQueued.messageType, outcome: 'dead-letter' })).toBe(1);
    expect(delta('messaging_handler_duration_seconds_sum', { type: JobQueued.messageType })).toBeGreaterThan(0);

    // Confirms count publishes through MessagePublisher only (retry and dead-letter copies go out on the consumer's channel).
    expect(delta('messaging_publish_confirms_total', { exchange: 'domain.events', type: JobQueued.messageType })).toBe(3);
    expect(delta('messaging_publish_confirms_total', { exchange: 'domain.events', type: PingDeduped.messageType })).toBe(2);
    expect(delta('messaging_publish_failures_total')).toBe(0);

    // The second delivery of ping-1 is skipped, and (as it is acknowledged) also counted as consumed and acked.
    expect(pings.runs).toBe(1);
    expect(delta('messaging_messages_duplicates_skipped_total', { queue: PINGS, type: PingDeduped.messageType })).toBe(1);
    expect(delta('messaging_messages_consumed_total', { queue: PINGS })).toBe(2);
    expect(delta('messaging_messages_acked_total', { queue: PINGS })).toBe(2);

    // The dead-letter queue holds exactly the dead letters made; the handler queues are empty.
    expect(metric(after, 'messaging_dead_letter_queue_depth', { queue: JOBS })).toBe(delta('messaging_messages_dead_lettered_total'));
    expect(metric(after, 'messaging_dead_letter_queue_depth', { queue: PINGS })).toBe(0);
    expect(metric(after, 'messaging_queue_depth', { queue: JOBS })).toBe(0);
  });

  it('reports the messages ready in a backed-up handler queue, and 0 once it drains', async () => {
    const batches = app.get(BatchHandler);
    for (const id of ['b1', 'b2', 'b3']) await publisher.publish(BatchArrived, { id });

    // One delivery is held by the handler (unacked), two wait as ready messages.
    await eventually(
      async () => batches.started === 1 && metric(await scrape(), 'messaging_queue_depth', { queue: BATCHES }) === 2,
      'two batches ready',
    );
    expect(metric(await scrape(), 'messaging_queue_depth', { queue: BATCHES })).toBe(2);

    batches.open();
    await eventually(
      async () => batches.started === 3 && metric(await scrape(), 'messaging_queue_depth', { queue: BATCHES }) === 0,
      'the batch queue drained',
    );
  });

  it('reports pending outbox rows and the age of the oldest while the relay is stopped, and none once it has run', async () => {
    const outbox = app.get(Outbox);
    const { db } = app.get<DatabaseHandle>(DATABASE);
    expect(metric(await scrape(), 'messaging_outbox_pending_rows')).toBe(0);
    expect(metric(await scrape(), 'messaging_outbox_oldest_pending_age_seconds')).toBe(0);

    await db.transaction(async (tx) => {
      for (const entry of ['a', 'b', 'c']) await outbox.add(tx, AuditLogged, { entry });
    });
    await new Promise((resolve) => setTimeout(resolve, 150));

    const waiting = await scrape();
    expect(metric(waiting, 'messaging_outbox_pending_rows')).toBe(3);
    expect(metric(waiting, 'messaging_outbox_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(0.1);

    const confirmsBefore = metric(waiting, 'messaging_publish_confirms_total', { type: AuditLogged.messageType });
    app.get(OutboxRelay).start();
    await eventually(async () => metric(await scrape(), 'messaging_outbox_pending_rows') === 0, 'the outbox relayed');
    // A new scrape: within one, the counters are read before the pending gauge's query answers, so a relay that commits
    // in between shows no pending rows beside a confirm count not yet raised.
    const drained = await scrape();
    expect(metric(drained, 'messaging_outbox_oldest_pending_age_seconds')).toBe(0);
    expect(metric(drained, 'messaging_publish_confirms_total', { type: AuditLogged.messageType }) - confirmsBefore).toBe(3);
  });
});
