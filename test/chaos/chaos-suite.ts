// npm run chaos [-- --quick]: the fault suite on a RabbitMQ cluster of three nodes of its own (test-cluster.ts, on
// loopback ports beside the machine's broker, always removed at the end). Consumers and outbox relays run as real
// processes (chaos-service.ts) against one PostgreSQL database; each scenario publishes a burst, injects its fault in
// the middle of it, waits until every message has had its effect and the queues are empty, and prints one line:
// messages, lost, duplicate effects, out of order (ordered handler), time to converge. Exits 1 unless every line is 0/0/0.
// Bounded: counts are fixed, each scenario has a time limit, and the whole run has one.
import { performance } from 'node:perf_hooks';
import type { INestApplicationContext } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Client } from 'pg';
import { MessagePublisher } from '@app/messaging';
import { DATABASE, Outbox, type DatabaseHandle } from '@app/persistence';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { TestCluster, type ClusterVhost, type NodeIndex, NODES } from '../support/test-cluster';
import { ChaosProcess, type PartitionMove } from './chaos-process';
import { countEffects, passed, tableHeader, tableRow, type EffectRow, type ScenarioFigures } from './chaos-report';
import { ChaosStep, ChaosTick, chaosModule, EFFECTS_DDL, SERVICE } from './chaos-service';

interface Profile {
  /** Keys published side by side; each key's steps one after the other. */
  keys: number;
  /** Steps (and as many ticks) per key. */
  perKey: number;
  /** Pause between two steps of a key: spreads the burst so that the fault lands in its middle. */
  pauseMs: number;
  /** Bound of one scenario's convergence. */
  convergeLimitMs: number;
  /** Bound of the whole run. */
  runLimitMs: number;
  /** Start the node stopped in the first scenario again while the next one runs, rather than before it. */
  overlapNodeRestart: boolean;
  /** Start a fourth consumer after the kill, to show the partitions moving to a joining instance. */
  joinAfterKill: boolean;
}

const FULL: Profile = {
  keys: 20,
  perKey: 60,
  pauseMs: 10,
  convergeLimitMs: 180_000,
  runLimitMs: 20 * 60_000,
  overlapNodeRestart: false,
  joinAfterKill: true,
};
const QUICK: Profile = {
  keys: 10,
  perKey: 20,
  pauseMs: 10,
  convergeLimitMs: 120_000,
  runLimitMs: 8 * 60_000,
  overlapNodeRestart: true,
  joinAfterKill: false,
};

const ORDERED_KINDS: ReadonlySet<string> = new Set(['step']);
const NAME_WIDTH = 50;

class Suite {
  private readonly consumers: ChaosProcess[] = [];
  private readonly relays: ChaosProcess[] = [];
  /** Consumers killed on purpose (their logged moves stay readable). */
  private readonly gone: ChaosProcess[] = [];
  private producer?: INestApplicationContext;
  private nextInstance = 1;
  readonly figures: ScenarioFigures[] = [];
  /** The first scenario's node coming back (see Profile.overlapNodeRestart). */
  private nodeBack: Promise<void> = Promise.resolve();

  constructor(
    private readonly profile: Profile,
    private readonly cluster: TestCluster,
    private readonly vhost: ClusterVhost,
    private readonly database: TestDatabase,
  ) {}

  private get env(): { AMQP_URL: string; DATABASE_URL: string } {
    return { AMQP_URL: this.vhost.amqpUrl, DATABASE_URL: this.database.url as string };
  }

  async setUp(): Promise<void> {
    await this.sql(EFFECTS_DDL);
    // The producer migrates the database (inbox, outbox) before any child starts, and declares nothing it consumes.
    const metadata = chaosModule({
      role: 'producer',
      amqpUrl: this.vhost.amqpUrl,
      databaseUrl: this.env.DATABASE_URL,
      instance: 'producer',
    });
    @Module(metadata)
    class ChaosProducerModule {}
    this.producer = await NestFactory.createApplicationContext(ChaosProducerModule, { logger: ['error'] });
    await Promise.all([1, 2, 3].map(() => this.startConsumer()));
  }

  async tearDown(): Promise<void> {
    await Promise.all([...this.consumers, ...this.relays].map((child) => child.stop('SIGTERM', 10_000)));
    await this.producer?.close().catch(() => undefined);
  }

  killNow(): void {
    for (const child of [...this.consumers, ...this.relays]) child.killNow();
  }

  /** Every child's output tail, for a failure. */
  tails(): string {
    return [...this.consumers, ...this.relays].map((child) => child.tail()).join('\n');
  }

  /** The partition moves the consumers logged since `since` (Date.now()), in the order they were read. */
  partitionMoves(since = 0): PartitionMove[] {
    return [...this.consumers, ...this.gone]
      .flatMap((consumer) => consumer.moves)
      .filter((move) => move.at >= since)
      .sort((a, b) => a.at - b.at);
  }

  async startConsumer(): Promise<ChaosProcess> {
    const consumer = ChaosProcess.start('consumer', `consumer-${this.nextInstance++}`, this.env);
    this.consumers.push(consumer);
    await consumer.ready(120_000);
    return consumer;
  }

  // ---- scenarios ----

  async leaderStop(): Promise<void> {
    let stopped: NodeIndex | undefined;
    await this.scenario('stop the node leading the queues, under load', 'broker', async () => {
      stopped = await this.busiestLeader();
      note(`  node ${stopped} leads the most queues of the service: stopping it`);
      await this.cluster.stopNode(stopped);
    });
    if (stopped) {
      const node = stopped;
      this.nodeBack = this.cluster.startNode(node).then(() => this.cluster.waitForAllNodes());
      this.nodeBack.catch(() => undefined);
      if (this.profile.overlapNodeRestart) note(`  node ${node} starts again while the next scenario runs`);
      else await this.nodeBack;
    }
  }

  async instanceKill(): Promise<void> {
    const victim = this.consumers.find((consumer) => consumer.running) as ChaosProcess;
    const killedAt = Date.now();
    await this.scenario('three consumer instances, one SIGKILLed mid-burst', 'broker', async () => {
      note(`  SIGKILL ${victim.name} (pid ${victim.pid})`);
      await victim.stop('SIGKILL');
    });
    this.gone.push(...this.consumers.splice(this.consumers.indexOf(victim), 1));
    showMoves('  partitions after the kill:', this.partitionMoves(killedAt));
    if (!this.profile.joinAfterKill) return;
    const joinedAt = Date.now();
    const joined = await this.startConsumer();
    await until(() => this.latestHoldings().get(joined.name) !== undefined, 30_000, 'the new instance holding partitions');
    showMoves(`  partitions after ${joined.name} joined:`, this.partitionMoves(joinedAt));
  }

  async relayKill(): Promise<void> {
    for (let i = 1; i <= 3; i++) this.relays.push(ChaosProcess.start('relay', `relay-${i}`, this.env));
    await Promise.all(this.relays.map((relay) => relay.ready(120_000)));
    await this.scenario('three outbox relays, one SIGKILLed mid-burst', 'outbox', async () => {
      const victim = this.relays[1];
      note(`  SIGKILL ${victim.name} (pid ${victim.pid})`);
      await victim.stop('SIGKILL');
    });
    await Promise.all(this.relays.splice(0).map((relay) => relay.stop('SIGTERM')));
  }

  async clusterRestart(): Promise<void> {
    await this.nodeBack;
    await this.scenario(
      'the whole cluster restarted, under load',
      'broker',
      async (resumeSending) => {
        note('  stopping all three nodes (sending held until they are down)');
        await Promise.all(NODES.map((node) => this.cluster.stopNode(node)));
        // The rest of the burst is published while no node runs: each publish waits for the cluster to come back.
        resumeSending();
        note('  all three nodes down; sending again; starting all three nodes');
        await Promise.all(NODES.map((node) => this.cluster.startNode(node)));
        await this.cluster.waitForAllNodes();
      },
      1 / 3,
    );
  }

  // ---- the frame of a scenario ----

  /**
   * Publishes the burst, starts `fault` once `faultAt` of it is sent, and measures. A fault that takes a `resumeSending`
   * parameter holds the rest of the burst until it calls it.
   */
  private async scenario(
    name: string,
    via: 'broker' | 'outbox',
    fault: (resumeSending: () => void) => Promise<void>,
    faultAt = 0.5,
  ): Promise<void> {
    const label = `s${this.figures.length + 1}`;
    note(
      `${name}: ${this.profile.keys} keys x ${this.profile.perKey} steps and as many ticks, ${via === 'outbox' ? 'through the outbox' : 'published'}`,
    );
    const published = new Map<string, Map<string, number>>([
      ['step', new Map()],
      ['tick', new Map()],
    ]);
    const total = this.profile.keys * this.profile.perKey;
    let sent = 0;
    let failedPublishes = 0;
    let faultStarted = 0;
    let faultRun: Promise<void> | undefined;
    let resumeSending = (): void => undefined;
    const sending = fault.length > 0 ? new Promise<void>((resume) => (resumeSending = resume)) : Promise.resolve();
    const started = performance.now();

    const send = async (key: string, seq: number): Promise<void> => {
      const data = { scenario: label, key, seq };
      try {
        if (via === 'broker') {
          const publisher = this.app.get(MessagePublisher);
          await Promise.all([publisher.publish(ChaosStep, data), publisher.publish(ChaosTick, data)]);
        } else {
          const outbox = this.app.get(Outbox);
          await this.app.get<DatabaseHandle>(DATABASE).db.transaction(async (tx) => {
            await outbox.add(tx, ChaosStep, data, { aggregateKey: key });
            await outbox.add(tx, ChaosTick, data, { aggregateKey: key });
          });
        }
      } catch (error) {
        failedPublishes++;
        note(`  publish of ${key}#${seq} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      (published.get('step') as Map<string, number>).set(key, seq);
      (published.get('tick') as Map<string, number>).set(key, seq);
      sent++;
      if (!faultRun && sent >= total * faultAt) {
        faultStarted = performance.now();
        faultRun = fault(resumeSending);
        // A fault that fails does not hold the burst forever (the failure is reported where faultRun is awaited).
        faultRun.catch(() => resumeSending());
      }
      if (faultRun) await sending;
    };

    await Promise.all(
      Array.from({ length: this.profile.keys }, async (_, k) => {
        const key = `${label}-k${k}`;
        for (let seq = 1; seq <= this.profile.perKey; seq++) {
          await send(key, seq);
          await sleep(this.profile.pauseMs);
        }
      }),
    );
    const publishedIn = performance.now() - started;
    await faultRun;

    // Converged: every published message has its effect. Then the queues drain (late duplicates would show).
    const expected = total * 2;
    let convergeMs: number | undefined;
    const deadline = Date.now() + this.profile.convergeLimitMs;
    while (Date.now() < deadline) {
      if ((await this.distinctEffects(label)) >= expected) {
        convergeMs = performance.now() - faultStarted;
        break;
      }
      await sleep(100);
    }
    if (convergeMs !== undefined) await this.queuesEmpty(Math.max(10_000, deadline - Date.now()));
    const rows = await this.sql<EffectRow>('select kind, key, seq from chaos_effects where scenario = $1 order by id', [label]);
    const figures: ScenarioFigures = { scenario: name, ...countEffects(rows, published, ORDERED_KINDS), convergeMs, failedPublishes };
    this.figures.push(figures);
    note(`  published in ${(publishedIn / 1000).toFixed(1)} s; ${passed(figures) ? 'ok' : 'FAILED'}`);
    if (!passed(figures)) note(this.tails());
  }

  private get app(): INestApplicationContext {
    if (!this.producer) throw new Error('set up first');
    return this.producer;
  }

  private async distinctEffects(label: string): Promise<number> {
    const [row] = await this.sql<{ n: string }>(
      'select count(*) as n from (select distinct kind, key, seq from chaos_effects where scenario = $1) e',
      [label],
    );
    return Number(row.n);
  }

  /** Waits until no queue of the service holds a message (ready or unacknowledged). */
  private async queuesEmpty(timeoutMs: number): Promise<void> {
    await until(
      async () => {
        const rows = JSON.parse(
          await this.cluster.ctlAny(['list_queues', '-p', this.vhost.name, 'name', 'messages', '--formatter', 'json']),
        ) as Array<{ name: string; messages: number }>;
        return rows.filter((row) => row.name.startsWith(`${SERVICE}.`) && !row.name.endsWith('.dlq')).every((row) => row.messages === 0);
      },
      timeoutMs,
      'the queues empty',
    ).catch((error: unknown) => note(`  ${error instanceof Error ? error.message : String(error)}`));
  }

  /** The node leading most of the service's quorum queues. */
  private async busiestLeader(): Promise<NodeIndex> {
    const rows = JSON.parse(
      await this.cluster.ctlAny(['list_queues', '-p', this.vhost.name, 'name', 'leader', '--formatter', 'json']),
    ) as Array<{ name: string; leader?: string }>;
    const counts = new Map<NodeIndex, number>(NODES.map((node) => [node, 0]));
    for (const row of rows) {
      const node = NODES.find((index) => this.cluster.nodeName(index) === row.leader);
      if (node && row.name.startsWith(`${SERVICE}.`)) counts.set(node, (counts.get(node) ?? 0) + 1);
    }
    return [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
  }

  /** The partitions each running consumer said it holds last. */
  private latestHoldings(): Map<string, number[]> {
    const holdings = new Map<string, number[]>();
    for (const consumer of this.consumers) {
      const last = consumer.moves.at(-1);
      if (consumer.running && last && last.partitions.length > 0) holdings.set(consumer.name, last.partitions);
    }
    return holdings;
  }

  async sql<T>(text: string, values: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: this.database.url });
    await client.connect();
    try {
      return (await client.query(text, values)).rows as T[];
    } finally {
      await client.end();
    }
  }
}

function showMoves(title: string, moves: PartitionMove[]): void {
  note(title);
  for (const move of moves) {
    note(
      `    ${move.instance}: holds [${move.partitions.join(',')}] of ${move.queue} (acquired [${move.acquired.join(',')}], released [${move.released.join(',')}], ${move.members} members)`,
    );
  }
}

function printTable(figures: readonly ScenarioFigures[]): void {
  note('');
  note(tableHeader(NAME_WIDTH));
  for (const row of figures) note(tableRow(row, NAME_WIDTH));
}

function note(line: string): void {
  process.stdout.write(`${line}\n`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

async function main(): Promise<number> {
  const quick = process.argv.includes('--quick');
  const profile = quick ? QUICK : FULL;
  const began = performance.now();
  note(`chaos suite (${quick ? 'quick' : 'full'}): starting a RabbitMQ cluster of three nodes on loopback ports`);
  let cluster: TestCluster | undefined;
  let database: TestDatabase | undefined;
  let suite: Suite | undefined;
  // The run's bound: past it, the cluster and the processes go, and the run fails.
  const limit = setTimeout(() => {
    note(`chaos suite: over its time limit (${profile.runLimitMs / 1000} s); stopping`);
    printTable(suite?.figures ?? []);
    suite?.killNow();
    process.exit(1); // the cluster's exit handler stops and removes it
  }, profile.runLimitMs);
  limit.unref();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      suite?.killNow();
      process.exit(130);
    });
  }
  try {
    cluster = await TestCluster.start();
    note(`  cluster ${cluster.name} on 127.0.0.1:${cluster.ports.join(', ')} (${((performance.now() - began) / 1000).toFixed(1)} s)`);
    const vhost = await cluster.createVhost('chaos');
    database = await createTestDatabase('chaos');
    suite = new Suite(profile, cluster, vhost, database);
    await suite.setUp();
    showMoves('  partitions at start:', suite.partitionMoves());
    await suite.leaderStop();
    await suite.instanceKill();
    await suite.relayKill();
    await suite.clusterRestart();
  } catch (error) {
    note(`chaos suite: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    if (suite) note(suite.tails());
  } finally {
    await suite?.tearDown().catch(() => undefined);
    await cluster?.remove();
    await database?.drop().catch(() => undefined);
  }
  const figures = suite?.figures ?? [];
  printTable(figures);
  const ok = figures.length === 4 && figures.every(passed);
  note(`chaos suite (${quick ? 'quick' : 'full'}): ${ok ? 'passed' : 'FAILED'} in ${((performance.now() - began) / 1000).toFixed(0)} s`);
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
