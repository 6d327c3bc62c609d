// Bench: `npm run bench [-- --quick]`. Consume throughput and latency of raw amqplib, this library (plain, Redis
// idempotency, PostgreSQL inbox, through the Nest microservices transport) and two NestJS peers; confirmed publish
// throughput of raw amqplib, the library's publisher and its outbox relay; request/reply round trips of raw amqplib,
// the library's client and transport, and Transport.RMQ; the delay ladder's lateness. Three runs each, medians, one table, and JSON in
// bench/results/latest.json. Everything it makes (vhost, database, Redis keys, processes) is removed at the end and
// on Ctrl-C; every wait has a deadline, and the whole run a time budget.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { rabbitmqctl } from '../test/support/test-broker';
import { BENCH_QUEUE } from './support/bench-message';
import { BenchBroker } from './support/bench-broker';
import { BenchEnvironment } from './support/bench-environment';
import { stopAllWorkers } from './support/child-worker';
import { commitCeilingRun } from './support/commit-ceiling';
import { BENCH_DIR, COMMIT_CEILING_ID, CONTENDERS, LATENESS_ID, peerDir, REPO_ROOT } from './support/contenders';
import { consumeRun, publishRun, requestRun, type RunContext } from './support/contender-run';
import { latenessRun, stopLatenessRuns } from './support/lateness-run';
import { checkTargets, renderTable, summarise, writeJson, type ScenarioResult } from './support/report';
import { selected, settingsFromArgs } from './support/settings';
import { removeTranspiled, transpileAhead } from './support/transpile-ahead';

const RESULTS_FILE = join(BENCH_DIR, 'results', 'latest.json');
/** Profiles are named <scenario>-<run>.cpuprofile.json: JSON, so that git ignores them with the other results. */
const PROFILE_DIR = join(BENCH_DIR, 'results');
/** After the budget, the run in progress gets this long before the bench stops itself. */
const OVERRUN_MS = 40_000;
/** Idempotency keys the Redis scenario writes (see RedisIdempotencyStore): its message ids start with its id. */
const REDIS_KEYS = `idempotency:${BENCH_QUEUE}:library-redis-*`;

/** Set on Ctrl-C or SIGTERM: no run starts after it. */
let interrupted = false;

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
}

/** Peers live in their own packages (bench/peers/*), installed from their lock files on first use. */
function installPeer(peer: string): string | undefined {
  const dir = peerDir(peer);
  if (existsSync(join(dir, 'node_modules'))) return undefined;
  log(`installing ${peer} (npm ci --prefix ${dir})`);
  const result = spawnSync('npm', ['ci', '--prefix', dir, '--no-audit', '--no-fund'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 300_000,
  });
  return result.status === 0 ? undefined : `npm ci of ${peer} failed: ${result.stderr?.toString().slice(-500) ?? result.error?.message}`;
}

async function main(): Promise<void> {
  const settings = settingsFromArgs();
  const started = Date.now();
  const loadAtStart = loadavg()[0];
  const deadline = started + settings.budgetSeconds * 1000;
  const contenders = CONTENDERS.filter((contender) => selected(settings, contender.id));
  const withLateness = selected(settings, LATENESS_ID);
  // The inbox's bound: measured whenever the inbox is, or when asked for.
  const withCommitCeiling = selected(settings, COMMIT_CEILING_ID) || contenders.some((contender) => contender.id === 'library-inbox');
  const environment = new BenchEnvironment(withCommitCeiling || contenders.some((contender) => contender.needs.includes('database')));
  let broker: BenchBroker | undefined;
  let transpiledDir: string | undefined;

  let releasing: Promise<void> | undefined;
  const release = (): Promise<void> =>
    (releasing ??= (async () => {
      await stopAllWorkers();
      await stopLatenessRuns();
      await broker?.close();
      await environment.release(contenders.some((contender) => contender.needs.includes('redis')) ? [REDIS_KEYS] : []);
      removeTranspiled(transpiledDir);
    })());
  // Ctrl-C: the run in progress is stopped, no other starts, the clean-up below runs, and the bench exits 130 with
  // what it measured printed (latest.json is left as it was). Should that hang, it cleans up and exits after 20 s.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      log(
        `${signal}: stopping, then deleting vhost ${environment.vhost}${environment.database ? ` and database ${environment.database}` : ''}`,
      );
      void stopAllWorkers();
      void stopLatenessRuns();
      setTimeout(() => void release().finally(() => process.exit(130)), 20_000).unref();
    });
  }
  // Whatever happens inside a run, the bench ends: a run still going OVERRUN_MS after the budget is stopped (the table
  // is printed with what was measured), and if even that hangs, the bench cleans up and exits 15 s later.
  const overrun = setTimeout(
    () => {
      log(`time budget of ${settings.budgetSeconds} s overrun by ${OVERRUN_MS / 1000} s: stopping the run in progress`);
      void stopAllWorkers();
      void stopLatenessRuns();
    },
    deadline - Date.now() + OVERRUN_MS,
  );
  const hardStop = setTimeout(
    () => {
      log('the bench did not wind down: exiting');
      void release().finally(() => process.exit(3));
    },
    deadline - Date.now() + OVERRUN_MS + 15_000,
  );

  const results = new Map<string, ScenarioResult>();
  const skipped = new Map<string, string>();
  try {
    for (const peer of new Set(contenders.flatMap((c) => ('peer' in c.program ? [c.program.peer] : [])))) {
      const problem = installPeer(peer);
      if (problem) for (const c of contenders) if ('peer' in c.program && c.program.peer === peer) skipped.set(c.id, problem);
    }
    transpiledDir = transpileAhead();
    await environment.setUp();
    broker = await BenchBroker.open(environment.amqpUrl, settings.queueType);
    mkdirSync(PROFILE_DIR, { recursive: true });
    const context: RunContext = { settings, environment, broker, transpiledDir, profileDir: settings.cpuProf ? PROFILE_DIR : undefined };
    log(
      `bench: N=${settings.count}, ${settings.runs} runs, prefetch ${settings.prefetch}, ${settings.queueType} queue, vhost ${environment.vhost}`,
    );

    // Rounds: each contender once per round, so that drift on a shared machine spreads over all of them alike.
    for (let round = 1; round <= settings.runs; round++) {
      for (const contender of contenders) {
        if (skipped.has(contender.id)) continue;
        const profile = settings.cpuProf ? join(PROFILE_DIR, `${contender.id}-${round}.cpuprofile.json`) : undefined;
        await runOne(
          results,
          contender.id,
          contender.kind,
          contender.label,
          round,
          deadline,
          () =>
            contender.kind === 'consume'
              ? consumeRun(context, contender, round)
              : contender.kind === 'rpc'
                ? requestRun(context, contender, round)
                : publishRun(context, contender, round),
          profile,
        );
      }
      if (withCommitCeiling && environment.databaseUrl) {
        const databaseUrl = environment.databaseUrl;
        const label = 'PostgreSQL BEGIN/INSERT/COMMIT, 10 connections';
        await runOne(results, COMMIT_CEILING_ID, 'bound', label, round, deadline, () =>
          commitCeilingRun(databaseUrl, Math.min(5, settings.runSeconds)),
        );
      }
      if (withLateness) {
        const label = `ladder lateness, ${settings.delayCount} msgs, 1-${settings.delayMaxSeconds} s`;
        await runOne(results, LATENESS_ID, 'lateness', label, round, deadline, () => latenessRun(settings));
      }
    }
  } finally {
    clearTimeout(overrun);
    await release();
    clearTimeout(hardStop);
  }

  const summaries = summarise([...results.values()]);
  const targets = checkTargets([...results.values()]);
  const table = renderTable(summaries, targets);
  const memory = summaries.find((s) => s.id === 'library');
  const footer = [
    memory !== undefined && memory.rssStartMb !== null
      ? `memory: library consumer RSS ${memory.rssStartMb.toFixed(0)} MB at start, ${memory.rssWarmMb?.toFixed(0)} MB after the warm-up, ` +
        `${memory.rssEndMb?.toFixed(0)} MB after ${settings.count} + ${settings.latencyCount} messages (median of runs); ` +
        `live heap after a full GC ${memory.heapLiveWarmMb?.toFixed(1)} MB after the warm-up, ${memory.heapLiveEndMb?.toFixed(1)} MB after the fill`
      : undefined,
    ...[...skipped].map(([id, why]) => `skipped ${id}: ${why}`),
    loadAtStart > 0.5
      ? `machine: 1-min load average ${loadAtStart.toFixed(1)} at start (${cpus().length} cores): other work was running, expect noise; compare ratios`
      : undefined,
    `medians of ${settings.runs} runs; N=${settings.count}, prefetch ${settings.prefetch}, ${settings.queueType} queue, latency at ${settings.latencyRate} msg/s, ` +
      `${settings.inFlight} publishes in flight, relay batch ${settings.relayBatch}; ${Math.round((Date.now() - started) / 1000)} s`,
  ].filter((line): line is string => line !== undefined);
  console.log(`\n${table}\n${footer.join('\n')}`);
  if (interrupted) {
    process.exitCode = 130;
    return;
  }
  writeJson(RESULTS_FILE, {
    bench: 'throughput',
    at: new Date().toISOString(),
    settings,
    environment: {
      node: process.version,
      cpus: cpus().length,
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: loadavg()[0],
      broker: (await rabbitmqctl('version').catch(() => 'unknown')).trim(),
    },
    scenarios: summaries.map((summary) => ({ ...summary, runs: results.get(summary.id)?.runs ?? [] })),
    targets,
    skipped: Object.fromEntries(skipped),
    wallSeconds: Math.round((Date.now() - started) / 1000),
  });
  console.log(`written to ${RESULTS_FILE}`);
  process.exitCode = summaries.some((s) => s.errors.length > 0) ? 1 : 0;
}

async function runOne(
  results: Map<string, ScenarioResult>,
  id: string,
  kind: ScenarioResult['kind'],
  label: string,
  round: number,
  deadline: number,
  run: () => Promise<object>,
  profile?: string,
): Promise<void> {
  const result = results.get(id) ?? { id, kind, label, runs: [] };
  results.set(id, result);
  if (interrupted || Date.now() > deadline) {
    result.runs.push({ ok: false, error: interrupted ? 'skipped: interrupted' : 'skipped: time budget spent' });
    return;
  }
  const began = Date.now();
  try {
    const outcome = await run();
    result.runs.push({ ok: true, ...outcome } as ScenarioResult['runs'][number]);
    log(`${id} run ${round}: ${summaryLine(outcome)} (${Math.round((Date.now() - began) / 1000)} s)`);
    const { windowUs, count } = outcome as { windowUs?: [number, number]; count?: number };
    if (profile && windowUs) {
      log(
        `  profile: node -r ./test/support/register-ts.js bench/profile-summary.ts ${relative(REPO_ROOT, profile)} --from ${windowUs[0]} --to ${windowUs[1]} --messages ${count}`,
      );
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    result.runs.push({ ok: false, error: message });
    log(`${id} run ${round} failed: ${message}`);
  }
}

function summaryLine(outcome: object): string {
  // The scenarios' results (ConsumeRun, PublishRun, ...): each has some of these figures.
  const o = outcome as Partial<
    Record<'perSecond' | 'publishPerSecond' | 'p50' | 'p99' | 'cpuUsPerMessage' | 'mainThreadCpuUsPerMessage' | 'leftInQueue', number>
  >;
  const parts = [`${String(o.perSecond ?? o.publishPerSecond)} msg/s`];
  if (o.p50 !== undefined) parts.push(`p50 ${String(o.p50)} ms`, `p99 ${String(o.p99)} ms`);
  if (o.cpuUsPerMessage !== undefined) parts.push(`${Number(o.cpuUsPerMessage).toFixed(1)} µs CPU/msg`);
  if (typeof o.mainThreadCpuUsPerMessage === 'number') parts.push(`main thread ${o.mainThreadCpuUsPerMessage.toFixed(1)}`);
  if (o.leftInQueue) parts.push(`${String(o.leftInQueue)} left in queue!`);
  return parts.join(', ');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
