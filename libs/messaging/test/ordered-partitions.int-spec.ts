// Integration: an ordered handler consumed by several instances (Nest applications with connections of their own).
// Its partitions are shared out among the instances and move when one stops or another joins, while the messages of
// each key are handled in publish order, none lost and none twice; a failed message is retried in place and holds
// back only the later messages of its own key; one whose attempts are used up is dead-lettered from its partition and
// the key goes on.
import { Inject, Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { IsInt, IsString } from 'class-validator';
import {
  ConsumerSupervisor,
  MessageContext,
  MessageHandler,
  MessageHeaders,
  MessagePublisher,
  MessagingModule,
  Retryable,
  TransientError,
} from '@app/messaging';
import { createTestVhost, eventually, getOne, type TestVhost } from '../../../test/support/test-broker';

class EntryPosted {
  static readonly messageType = 'entry.posted';
  static readonly schemaVersion = 1;
  static readonly orderingKey = 'account';
  @IsString() account!: string;
  @IsInt() seq!: number;
}

interface Handled {
  instance: string;
  account: string;
  seq: number;
  attempt: number;
  partition: string;
  at: number;
}

/** What every instance handled, in the order it happened (one process: one clock, one list). */
const handled: Handled[] = [];
/** Accounts whose messages fail: seq -> attempts that fail (Infinity: always). */
const failing = new Map<string, Map<number, number>>();

const INSTANCE = Symbol('INSTANCE');
const PARTITIONS = 6;
const QUEUE = 'ledger.entry.posted';

@Injectable()
class LedgerHandler {
  constructor(@Inject(INSTANCE) private readonly instance: string) {}

  @MessageHandler(EntryPosted, { ordered: { partitions: PARTITIONS }, prefetch: 10 })
  @Retryable({ maxAttempts: 3, backoff: { initialMs: 300, factor: 1, jitter: 'none' } })
  async onEntry(entry: EntryPosted, context: MessageContext): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 4));
    const failures = failing.get(entry.account)?.get(entry.seq) ?? 0;
    if (context.attempt <= failures) throw new TransientError(`entry ${entry.account}#${entry.seq} cannot be posted yet`);
    handled.push({
      instance: this.instance,
      account: entry.account,
      seq: entry.seq,
      attempt: context.attempt,
      partition: context.queue,
      at: Date.now(),
    });
  }
}

describe('ordered handlers across instances', () => {
  let vhost: TestVhost;
  const instances = new Map<string, INestApplication>();
  let publisherApp: INestApplication;
  let publisher: MessagePublisher;

  function messagingFor(serviceName: string, consume: boolean) {
    return MessagingModule.forRoot({
      url: vhost.url,
      serviceName,
      consume,
      reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
      shutdownTimeoutMs: 5000,
    });
  }

  async function startInstance(name: string): Promise<void> {
    const moduleRef = await Test.createTestingModule({
      imports: [messagingFor('ledger', true)],
      providers: [LedgerHandler, { provide: INSTANCE, useValue: name }],
    }).compile();
    const app = moduleRef.createNestApplication();
    await app.init();
    await app.get(ConsumerSupervisor).waitUntilReady();
    instances.set(name, app);
  }

  async function stopInstance(name: string): Promise<void> {
    await instances.get(name)?.close();
    instances.delete(name);
  }

  /** Publishes seq from..to of each account, each account's in order (one after the other), accounts side by side. */
  async function publishRun(accounts: string[], from: number, to: number, pauseMs = 0): Promise<void> {
    await Promise.all(
      accounts.map(async (account) => {
        for (let seq = from; seq <= to; seq++) {
          await publisher.publish(EntryPosted, { account, seq });
          if (pauseMs) await new Promise((resolve) => setTimeout(resolve, pauseMs));
        }
      }),
    );
  }

  function seqsOf(account: string): number[] {
    return handled.filter((entry) => entry.account === account).map((entry) => entry.seq);
  }

  /** Which instance handled each partition in `entries` (a partition handled by two shows both). */
  function holders(entries: Handled[]): Map<string, Set<string>> {
    const byPartition = new Map<string, Set<string>>();
    for (const entry of entries) byPartition.set(entry.partition, (byPartition.get(entry.partition) ?? new Set()).add(entry.instance));
    return byPartition;
  }

  beforeAll(async () => {
    vhost = await createTestVhost('ordered');
    const moduleRef = await Test.createTestingModule({ imports: [messagingFor('ledger-publisher', false)] }).compile();
    publisherApp = moduleRef.createNestApplication();
    await publisherApp.init();
    publisher = publisherApp.get(MessagePublisher);
  });

  afterAll(async () => {
    for (const name of [...instances.keys()]) await stopInstance(name);
    await publisherApp?.close();
    await vhost?.delete();
  });

  it('shares the partitions among instances, moves them when one stops and another joins, and keeps each key in order', async () => {
    await Promise.all(['A', 'B', 'C'].map((name) => startInstance(name)));
    const accounts = Array.from({ length: 24 }, (_, i) => `acct-${i}`);
    // Views of the members settle within a heartbeat or two.
    await new Promise((resolve) => setTimeout(resolve, 1500));

    await publishRun(accounts, 1, 5);
    await eventually(() => handled.length === accounts.length * 5, 'the first run handled', 20_000);
    const first = holders(handled);
    // Every partition had exactly one instance, and each instance its share (6 partitions, 3 instances: 2 each).
    expect([...first.keys()].sort()).toEqual(Array.from({ length: PARTITIONS }, (_, i) => `${QUEUE}.p0${i}`));
    for (const owners of first.values()) expect(owners.size).toBe(1);
    const shares = ['A', 'B', 'C'].map((name) => [...first.values()].filter((owners) => owners.has(name)).length);
    expect(shares).toEqual([2, 2, 2]);
    const heldByC = [...first.entries()].filter(([, owners]) => owners.has('C')).map(([partition]) => partition);

    // A second run, publishing all along, during which C stops (its partitions go to A and B), then D joins (it takes
    // its share from them).
    let publishing = true;
    const published = new Map<string, number>(accounts.map((account) => [account, 5]));
    const running = Promise.all(
      accounts.map(async (account) => {
        while (publishing) {
          const seq = (published.get(account) as number) + 1;
          await publisher.publish(EntryPosted, { account, seq });
          published.set(account, seq);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }),
    );
    const mark = handled.length;
    await eventually(() => handled.length > mark + 200, 'some of the second run handled', 20_000);
    await stopInstance('C');
    const afterStop = handled.length;
    await eventually(() => handled.length > afterStop + 200, 'more handled after C stopped', 20_000);
    const beforeJoin = handled.length;
    await startInstance('D');
    await eventually(() => handled.slice(beforeJoin).filter((entry) => entry.instance === 'D').length > 100, 'D handling', 20_000);
    const settled = handled.length + 50;
    await eventually(() => handled.length > settled + 300, 'more handled after D joined', 20_000);
    publishing = false;
    await running;
    const total = [...published.values()].reduce((sum, last) => sum + last, 0);
    await eventually(() => handled.length === total, `all ${total} entries handled (have ${handled.length})`, 30_000);

    // Each key in publish order, none lost, none twice.
    for (const account of accounts) {
      expect(seqsOf(account)).toEqual(Array.from({ length: published.get(account) as number }, (_, i) => i + 1));
    }
    // C's partitions went to A and B once it stopped, and C handled nothing after its stop returned.
    const whileCGone = holders(handled.slice(afterStop, beforeJoin));
    for (const partition of heldByC) expect([...(whileCGone.get(partition) ?? [])].sort()).toEqual([expect.stringMatching(/^[AB]$/)]);
    expect(handled.slice(afterStop).some((entry) => entry.instance === 'C')).toBe(false);
    // With D in, the shares are even again: one instance per partition, two partitions each.
    const last = holders(handled.slice(settled));
    for (const owners of last.values()) expect(owners.size).toBe(1);
    expect(['A', 'B', 'D'].map((name) => [...last.values()].filter((owners) => owners.has(name)).length)).toEqual([2, 2, 2]);
  }, 120_000);

  it('retries a failed message in place: the later messages of its key wait for it, other keys do not', async () => {
    failing.set('slow', new Map([[1, 2]])); // slow#1 fails twice, works at its third attempt
    const mark = handled.length;

    await publisher.publish(EntryPosted, { account: 'slow', seq: 1 });
    await publisher.publish(EntryPosted, { account: 'slow', seq: 2 });
    await publisher.publish(EntryPosted, { account: 'slow', seq: 3 });
    await publisher.publish(EntryPosted, { account: 'quick', seq: 1 });
    await eventually(() => seqsOf('slow').length === 3 && seqsOf('quick').length === 1, 'slow and quick handled', 20_000);

    const fresh = handled.slice(mark);
    const slow = fresh.filter((entry) => entry.account === 'slow');
    expect(slow.map((entry) => [entry.seq, entry.attempt])).toEqual([
      [1, 3],
      [2, 1],
      [3, 1],
    ]);
    // Two retries of 300 ms in place before slow#1 went through; quick#1, published after, did not wait for it.
    const quick = fresh.find((entry) => entry.account === 'quick') as Handled;
    expect(quick.at).toBeLessThan(slow[0].at);
  }, 60_000);

  it('dead-letters a message whose attempts are used up, from its partition, and goes on with the later ones of its key', async () => {
    failing.set('doomed', new Map([[1, Number.POSITIVE_INFINITY]]));

    await publisher.publish(EntryPosted, { account: 'doomed', seq: 1 });
    await publisher.publish(EntryPosted, { account: 'doomed', seq: 2 });
    await eventually(() => seqsOf('doomed').length === 1, 'doomed#2 handled', 20_000);

    expect(seqsOf('doomed')).toEqual([2]);
    const connection = await vhost.connect();
    try {
      const dead = await getOne(connection, `${QUEUE}.dlq`);
      expect(JSON.parse(dead.content.toString())).toMatchObject({ account: 'doomed', seq: 1 });
      expect(dead.properties.headers?.[MessageHeaders.errorType]).toBe('exhausted');
      expect(dead.properties.headers?.[MessageHeaders.attempts]).toBe(3);
      // A replay puts it back where it came from: the partition of its key.
      expect(String(dead.properties.headers?.[MessageHeaders.originalQueue])).toMatch(
        new RegExp(`^${QUEUE.replace(/\./g, '\\.')}\\.p0\\d$`),
      );
      expect(dead.properties.headers?.[MessageHeaders.orderingKey]).toBe('doomed');
    } finally {
      await connection.close();
    }
  }, 60_000);
});
