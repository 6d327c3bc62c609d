// How a fuzz suite runs: its seed (FUZZ_SEED replays a run), its size (the quick profile in npm test, the long one in
// npm run fuzz), the table of counts per input class and outcome it prints, and a heap measure that can force a
// collection. Everything fast-check needs to replay a failure is printed: the seed here, the path with the failure.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc, { type Parameters } from 'fast-check';

export type FuzzProfile = 'quick' | 'long';

export interface FuzzSettings {
  profile: FuzzProfile;
  seed: number;
  /** Property runs, at most. */
  numRuns: number;
  /** The runs stop (as passed) once this much time is spent; a replay with the seed goes on from there. */
  timeLimitMs: number;
  /** FUZZ_PATH: with FUZZ_SEED, replays the failing case fast-check printed. */
  path?: string;
}

/** Per profile: runs and time for a suite. Quick fits npm test (well under 40 s a suite on 2 cores). */
const PROFILES: Record<FuzzProfile, { numRuns: number; timeLimitMs: number }> = {
  quick: { numRuns: 60, timeLimitMs: 20_000 },
  long: { numRuns: 2_000, timeLimitMs: 120_000 },
};

export function fuzzSettings(suite: string, env: NodeJS.ProcessEnv = process.env, runsScale = 1): FuzzSettings {
  const profile: FuzzProfile = env.FUZZ_PROFILE === 'long' ? 'long' : 'quick';
  const defaults = PROFILES[profile];
  const seed =
    env.FUZZ_SEED !== undefined && env.FUZZ_SEED !== '' ? Number(env.FUZZ_SEED) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  if (!Number.isInteger(seed)) throw new Error(`FUZZ_SEED must be an integer, got "${env.FUZZ_SEED}"`);
  const settings: FuzzSettings = {
    profile,
    seed,
    numRuns: positive(env.FUZZ_RUNS) ?? Math.round(defaults.numRuns * runsScale),
    timeLimitMs: positive(env.FUZZ_TIME_LIMIT_MS) ?? defaults.timeLimitMs,
    path: env.FUZZ_PATH || undefined,
  };
  // Printed before anything runs, so that even a run that hangs can be replayed.
  process.stderr.write(
    `fuzz ${suite}: profile=${profile} seed=${seed} runs<=${settings.numRuns} time<=${settings.timeLimitMs} ms ` +
      `(replay: FUZZ_SEED=${seed}${profile === 'long' ? ' FUZZ_PROFILE=long' : ''})\n`,
  );
  return settings;
}

/** fast-check's parameters for the settings: the seed, bounded runs and time, and the failure's path to replay it. */
export function fuzzParameters<T>(settings: FuzzSettings): Parameters<T> {
  return {
    seed: settings.seed,
    numRuns: settings.numRuns,
    path: settings.path,
    endOnFailure: settings.profile === 'quick',
    plugins: [fc.interruptAfterTimeLimit(settings.timeLimitMs)],
  };
}

/** Counts of outcomes per input class: what the suite saw, printed as a table at the end. */
export class OutcomeTable {
  private readonly counts = new Map<string, Map<string, number>>();

  add(inputClass: string, outcome: string, count = 1): void {
    const row = this.counts.get(inputClass) ?? new Map<string, number>();
    row.set(outcome, (row.get(outcome) ?? 0) + count);
    this.counts.set(inputClass, row);
  }

  get total(): number {
    let total = 0;
    for (const row of this.counts.values()) for (const count of row.values()) total += count;
    return total;
  }

  /** The table as text: a row per input class, a column per outcome, with totals. */
  render(title: string): string {
    const classes = [...this.counts.keys()].sort();
    const outcomes = [...new Set([...this.counts.values()].flatMap((row) => [...row.keys()]))].sort();
    const header = ['input class', ...outcomes, 'total'];
    const rows = classes.map((name) => {
      const row = this.counts.get(name) ?? new Map<string, number>();
      const cells = outcomes.map((outcome) => String(row.get(outcome) ?? ''));
      return [name, ...cells, String([...row.values()].reduce((a, b) => a + b, 0))];
    });
    const totals = outcomes.map((outcome) => String(classes.reduce((sum, name) => sum + (this.counts.get(name)?.get(outcome) ?? 0), 0)));
    rows.push(['total', ...totals, String(this.total)]);
    const widths = header.map((cell, index) => Math.max(cell.length, ...rows.map((row) => row[index].length)));
    const line = (cells: string[]) =>
      `| ${cells.map((cell, index) => (index === 0 ? cell.padEnd(widths[index]) : cell.padStart(widths[index]))).join(' | ')} |`;
    const rule = `|${widths.map((width, index) => (index === 0 ? `${'-'.repeat(width + 1)}-` : `${'-'.repeat(width + 1)}:`)).join('|')}|`;
    return [title, '', line(header), rule, ...rows.map(line), ''].join('\n');
  }
}

/** Prints the table where the long run's reader sees it (Jest buffers console output until a file ends). */
export function printTable(table: OutcomeTable, title: string, settings: FuzzSettings, notes: string[] = []): void {
  if (settings.profile !== 'long' && process.env.FUZZ_TABLE !== '1') return;
  process.stdout.write(`\n${table.render(title)}${notes.map((note) => `${note}\n`).join('')}\n`);
}

let collect: (() => void) | undefined;

/** Heap in use after a full collection (V8's gc is exposed for it), in MiB. */
export function heapUsedMiB(): number {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
  collect();
  return process.memoryUsage().heapUsed / (1024 * 1024);
}

function positive(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new Error(`Expected a positive integer, got "${value}"`);
  return number;
}
