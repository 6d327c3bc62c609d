// Bench: the command line of `npm run bench`, its defaults (full and --quick) in one place, checked at start.
import { parseArgs } from 'node:util';
import type { QueueType } from '../../libs/messaging/src/options/messaging-options';
import { COMMIT_CEILING_ID, CONTENDERS, LATENESS_ID } from './contenders';

export interface BenchSettings {
  quick: boolean;
  /** Messages per consume and publish run (N), timed. */
  count: number;
  /**
   * Messages a consumer or publisher handles before N, untimed: V8 compiles the hot path meanwhile, a cost a
   * long-running service pays once. The library's path needs several thousand messages before its CPU per message
   * settles (measured: ~45 µs at 2,000 against ~25 at 10,000 on the 2-core machine).
   */
  warmup: number;
  /** A run that has not handled N messages by then is cut off, its rate taken from what it handled. */
  runSeconds: number;
  runs: number;
  prefetch: number;
  queueType: QueueType;
  /** Paced messages per latency measurement, and their rate. */
  latencyCount: number;
  latencyRate: number;
  /** Unconfirmed publishes at once: the library publisher's concurrency and the raw publisher's window. */
  inFlight: number;
  relayBatch: number;
  /** Window of the bench's own pre-fill publisher. */
  fillWindow: number;
  delayCount: number;
  delayMaxSeconds: number;
  /** Scenario ids to run (all when empty). */
  only: string[];
  /** Write a CPU profile of each worker to bench/results/profiles. */
  cpuProf: boolean;
  /** Runs not started by then are skipped; the bench stops itself a little after. */
  budgetSeconds: number;
}

const FULL = {
  count: 100_000,
  warmup: 10_000,
  runSeconds: 30,
  latencyCount: 3000,
  delayCount: 10_000,
  delayMaxSeconds: 30,
  budgetSeconds: 1500,
};
// --quick must end within 5 minutes on the 2-core machine: ~75 s a round; past 220 s no run starts, and one still going
// at 260 s is stopped (see run.ts), so that it ends by 280 s even on a busy machine.
const QUICK = {
  count: 20_000,
  warmup: 10_000,
  runSeconds: 4,
  latencyCount: 500,
  delayCount: 2000,
  delayMaxSeconds: 10,
  budgetSeconds: 220,
};

export const SCENARIO_IDS = [...CONTENDERS.map((contender) => contender.id), LATENESS_ID, COMMIT_CEILING_ID];

export function settingsFromArgs(argv: string[] = process.argv.slice(2)): BenchSettings {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      count: { type: 'string' },
      warmup: { type: 'string' },
      'run-seconds': { type: 'string' },
      runs: { type: 'string', default: '3' },
      prefetch: { type: 'string', default: '100' },
      'queue-type': { type: 'string', default: 'quorum' },
      'latency-count': { type: 'string' },
      'latency-rate': { type: 'string', default: '500' },
      'in-flight': { type: 'string', default: '500' },
      'relay-batch': { type: 'string', default: '200' },
      'fill-window': { type: 'string', default: '1000' },
      'delay-count': { type: 'string' },
      'delay-max': { type: 'string' },
      only: { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
      budget: { type: 'string' },
    },
  });
  const defaults = values.quick ? QUICK : FULL;
  const int = (key: string, raw: string | undefined, fallback: number, min = 1): number => {
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(value) || value < min) throw new Error(`--${key} must be an integer >= ${min}, got ${raw}`);
    return value;
  };
  const queueType = values['queue-type'];
  if (queueType !== 'quorum' && queueType !== 'classic') throw new Error(`--queue-type must be quorum or classic, got ${queueType}`);
  const only = values.only
    ? values.only
        .split(',')
        .map((id) => id.trim())
        .filter(Boolean)
    : [];
  const unknown = only.filter((id) => !SCENARIO_IDS.includes(id));
  if (unknown.length > 0) throw new Error(`--only: unknown scenario ${unknown.join(', ')} (known: ${SCENARIO_IDS.join(', ')})`);
  return {
    quick: values.quick ?? false,
    count: int('count', values.count, defaults.count, 100),
    warmup: int('warmup', values.warmup, defaults.warmup, 0),
    runSeconds: int('run-seconds', values['run-seconds'], defaults.runSeconds),
    runs: int('runs', values.runs, 3),
    prefetch: int('prefetch', values.prefetch, 100),
    queueType,
    latencyCount: int('latency-count', values['latency-count'], defaults.latencyCount, 10),
    latencyRate: int('latency-rate', values['latency-rate'], 500),
    inFlight: int('in-flight', values['in-flight'], 500),
    relayBatch: int('relay-batch', values['relay-batch'], 200),
    fillWindow: int('fill-window', values['fill-window'], 1000),
    delayCount: int('delay-count', values['delay-count'], defaults.delayCount),
    delayMaxSeconds: int('delay-max', values['delay-max'], defaults.delayMaxSeconds),
    only,
    cpuProf: values['cpu-prof'] ?? false,
    budgetSeconds: int('budget', values.budget, defaults.budgetSeconds, 30),
  };
}

/** Whether a scenario runs: named in --only, or (without --only) part of the default set. */
export function selected(settings: BenchSettings, id: string): boolean {
  if (settings.only.length > 0) return settings.only.includes(id);
  return !CONTENDERS.find((contender) => contender.id === id)?.optional;
}
