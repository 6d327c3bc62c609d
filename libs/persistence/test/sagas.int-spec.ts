// Integration: a saga on a real broker and database (PostgreSQL, and PGlite for the common path). 50 concurrent
// messages for one instance all count (the row lock), duplicates move it once (the inbox), a message for a missing
// instance is dead-lettered with the reason or ignored as the saga says, a timeout is a scheduled message to itself,
// completion cancels the timeouts still pending, and operators read instances with their history.
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { IsInt, IsString } from 'class-validator';
import type { ChannelModel } from 'amqplib';
import {
  ConsumerSupervisor,
  MessageHeaders,
  MessagePublisher,
  MessagingModule,
  SAGA_DIRECTORY,
  ScheduledMessageRelay,
  SchedulingModule,
  type SagaDirectory,
  type ScheduledOutcome,
} from '@app/messaging';
import {
  DATABASE,
  DatabaseModule,
  Handles,
  Saga,
  SagaInstance,
  Sagas,
  SagasModule,
  SagaStore,
  StartedBy,
  type DatabaseHandle,
} from '@app/persistence';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { createTestVhost, eventually, getOne, type TestVhost } from '../../../test/support/test-broker';

class TallyOpened {
  static readonly messageType = 'tally.opened';
  static readonly schemaVersion = 1;
  @IsString() tallyId!: string;
  @IsInt() timeoutMs!: number;
}

class TallyIncremented {
  static readonly messageType = 'tally.incremented';
  static readonly schemaVersion = 1;
  @IsString() tallyId!: string;
  @IsInt() by!: number;
}

class TallyClosed {
  static readonly messageType = 'tally.closed';
  static readonly schemaVersion = 1;
  @IsString() tallyId!: string;
}

class TallyTimedOut {
  static readonly messageType = 'tally.timed-out';
  static readonly schemaVersion = 1;
  @IsString() tallyId!: string;
}

class TallyNoticed {
  static readonly messageType = 'tally.noticed';
  static readonly schemaVersion = 1;
  @IsString() tallyId!: string;
}

interface Tally {
  count: number;
  seen: string[];
}

@Saga({ name: 'tally' })
@Injectable()
class TallySaga {
  @StartedBy(TallyOpened, { key: (message) => message.tallyId })
  async open(message: TallyOpened, saga: SagaInstance<Tally>): Promise<void> {
    saga.data = { count: 0, seen: [] };
    saga.transitionTo('OPEN', 'opened');
    saga.waitingFor = TallyClosed.messageType;
    if (message.timeoutMs > 0) await saga.schedule(TallyTimedOut, { tallyId: message.tallyId }, { delayMs: message.timeoutMs });
  }

  @Handles(TallyIncremented, { key: (message) => message.tallyId })
  add(message: TallyIncremented, saga: SagaInstance<Tally>): void {
    saga.data.count += message.by;
    saga.data.seen.push(String(message.by));
  }

  @Handles(TallyTimedOut, { key: (message) => message.tallyId })
  timedOut(_message: TallyTimedOut, saga: SagaInstance<Tally>): void {
    saga.complete('TIMED_OUT');
  }

  @Handles(TallyClosed, { key: (message) => message.tallyId })
  close(_message: TallyClosed, saga: SagaInstance<Tally>): void {
    saga.complete('CLOSED');
  }

  @Handles(TallyNoticed, { key: (message) => message.tallyId, missing: 'ignore' })
  noticed(): void {}
}

describe.each(['postgres', 'pglite'] as const)('a saga with its state in %s', (kind) => {
  let vhost: TestVhost;
  let testDb: TestDatabase;
  let app: INestApplication;
  let broker: ChannelModel;
  let publisher: MessagePublisher;
  let directory: SagaDirectory;
  const outcomes: Array<{ token: string; outcome: ScheduledOutcome }> = [];

  beforeAll(async () => {
    vhost = await createTestVhost(`sagas-${kind}`);
    testDb = await createTestDatabase('sagas', kind);
    const moduleRef = await Test.createTestingModule({
      imports: [
        DatabaseModule.forRoot({ url: testDb.url, dataDir: testDb.dataDir }),
        MessagingModule.forRoot({
          url: vhost.url,
          serviceName: 'tallies',
          delay: 'ladder',
          prefetch: 50,
          retry: { maxAttempts: 2, backoff: { initialMs: 200, jitter: 'none' } },
          shutdownTimeoutMs: 1000,
        }),
        SchedulingModule.forRoot(),
        SagasModule.forRoot(),
      ],
      providers: [TallySaga],
    }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
    await app.get(ConsumerSupervisor).waitUntilReady();
    const relay = app.get(ScheduledMessageRelay);
    await relay.waitUntilReady();
    const forward = relay.forward.bind(relay);
    jest.spyOn(relay, 'forward').mockImplementation(async (raw, now) => {
      const outcome = await forward(raw, now);
      outcomes.push({ token: String(raw.properties.headers?.[MessageHeaders.scheduleToken]), outcome });
      return outcome;
    });
    publisher = app.get(MessagePublisher);
    directory = app.get<SagaDirectory>(SAGA_DIRECTORY);
    broker = await vhost.connect();
  }, 120_000);

  afterAll(async () => {
    await broker?.close().catch(() => undefined);
    await app?.close();
    await vhost?.delete();
    await testDb?.drop();
  }, 60_000);

  async function open(tallyId: string, timeoutMs = 0): Promise<void> {
    await publisher.publish(TallyOpened, { tallyId, timeoutMs });
    await eventually(async () => (await directory.get('tally', tallyId))?.state === 'OPEN', `tally ${tallyId} open`);
  }

  it('counts 50 concurrent messages for one instance, each once, with a history entry for each', async () => {
    await open('t-concurrent');

    await Promise.all(Array.from({ length: 50 }, (_, i) => publisher.publish(TallyIncremented, { tallyId: 't-concurrent', by: i + 1 })));

    await eventually(async () => (await directory.get('tally', 't-concurrent'))?.version === 51, 'all 50 moves', 30_000);
    const saga = (await directory.get('tally', 't-concurrent'))!;
    const data = saga.data as unknown as Tally;
    expect(data.count).toBe((50 * 51) / 2);
    expect(new Set(data.seen).size).toBe(50);
    expect(saga.history).toHaveLength(51);
    expect(saga.history[0]).toMatchObject({ to: 'OPEN', messageType: 'tally.opened', note: 'opened' });
    expect(saga.history[0].from).toBeUndefined();
    const moves = saga.history.slice(1);
    expect(moves.every((entry) => entry.from === 'OPEN' && entry.to === 'OPEN' && entry.messageType === 'tally.incremented')).toBe(true);
    expect(new Set(moves.map((entry) => entry.messageId)).size).toBe(50);
  });

  it('moves an instance once for a message delivered five times', async () => {
    await open('t-duplicates');

    for (let i = 0; i < 5; i++) await publisher.publish(TallyIncremented, { tallyId: 't-duplicates', by: 7 }, { messageId: 'dup-1' });
    await publisher.publish(TallyIncremented, { tallyId: 't-duplicates', by: 1 }, { messageId: 'after-dups' });

    await eventually(
      async () => (await directory.get('tally', 't-duplicates'))?.history.some((e) => e.messageId === 'after-dups') === true,
      'the last',
    );
    await new Promise((resolve) => setTimeout(resolve, 300)); // any late duplicate would have landed by now
    const saga = (await directory.get('tally', 't-duplicates'))!;
    expect((saga.data as unknown as Tally).count).toBe(8);
    expect(saga.history.filter((entry) => entry.messageId === 'dup-1')).toHaveLength(1);
  });

  it('dead-letters a message for a missing instance with the reason, and ignores one whose handler says so', async () => {
    await publisher.publish(TallyNoticed, { tallyId: 't-nobody' });
    await publisher.publish(TallyIncremented, { tallyId: 't-nobody', by: 1 });

    const deadLetter = await getOne(broker, 'tallies.tally.incremented.dlq', 10_000);
    expect(String(deadLetter.properties.headers?.[MessageHeaders.errorMessage])).toBe(
      'No tally saga with key "t-nobody" for tally.incremented',
    );
    expect(deadLetter.properties.headers?.[MessageHeaders.errorType]).toBe('permanent');
    const channel = await broker.createChannel();
    try {
      await eventually(async () => (await channel.checkQueue('tallies.tally.noticed')).messageCount === 0, 'the ignored one consumed');
      expect((await channel.checkQueue('tallies.tally.noticed.dlq')).messageCount).toBe(0);
    } finally {
      await channel.close();
    }
    expect(await directory.get('tally', 't-nobody')).toBeUndefined();
  });

  it('ends an instance by its timeout, a scheduled message to itself', async () => {
    await open('t-timeout', 1000);

    await eventually(async () => (await directory.get('tally', 't-timeout'))?.state === 'TIMED_OUT', 'the timeout', 10_000);
    const saga = (await directory.get('tally', 't-timeout'))!;
    expect(saga.completedAt).toBeDefined();
    expect(saga.pendingSchedules).toBe(0);
    expect(saga.history.map((entry) => entry.to)).toEqual(['OPEN', 'TIMED_OUT']);
    expect(saga.history[1].messageType).toBe('tally.timed-out');
  });

  it('cancels the timeouts still pending when it completes: the timeout comes back and is dropped', async () => {
    await open('t-closed', 1500);
    await publisher.publish(TallyClosed, { tallyId: 't-closed' });
    await eventually(async () => (await directory.get('tally', 't-closed'))?.state === 'CLOSED', 'closed');
    const before = outcomes.length;

    await eventually(() => outcomes.slice(before).some((entry) => entry.outcome === 'cancelled'), 'the cancelled timeout dropped', 10_000);
    expect(outcomes.slice(before).filter((entry) => entry.outcome === 'sent')).toEqual([]);
    const saga = (await directory.get('tally', 't-closed'))!;
    expect(saga.history.map((entry) => entry.to)).toEqual(['OPEN', 'CLOSED']);
  });

  it('starts an instance from service code in a transaction of its own', async () => {
    const sagas = app.get(Sagas);
    await app.get<DatabaseHandle>(DATABASE).db.transaction((tx) =>
      sagas.start<Tally>(tx, TallySaga, 't-from-code', (saga) => {
        saga.data = { count: 5, seen: [] };
        saga.transitionTo('OPEN', 'started by code');
      }),
    );

    const saga = await sagas.find(TallySaga, 't-from-code');
    expect(saga).toMatchObject({ state: 'OPEN', version: 1, data: { count: 5 }, history: [{ to: 'OPEN', note: 'started by code' }] });
  });

  it('lists the instances in flight (and completed ones) for operators and the console', async () => {
    const listed = await directory.list({ type: 'tally' });
    expect(listed.sagas.map((saga) => saga.key)).toEqual(expect.arrayContaining(['t-concurrent', 't-duplicates']));
    expect(listed.sagas.map((saga) => saga.key)).not.toContain('t-timeout');
    const completed = await directory.list({ type: 'tally', completed: true });
    expect(completed.sagas.map((saga) => saga.key).sort()).toEqual(['t-closed', 't-timeout']);
    const inFlight = await app.get(SagaStore).inFlight(2);
    expect(inFlight.total).toBe(listed.total);
    expect(inFlight.sagas).toEqual([
      expect.objectContaining({ id: 't-concurrent', type: 'tally', state: 'OPEN', waitingFor: 'tally.closed' }),
      expect.objectContaining({ id: 't-duplicates', type: 'tally', state: 'OPEN' }),
    ]);
  });
});
