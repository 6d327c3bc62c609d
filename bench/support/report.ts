// Bench: turns runs into the one table (medians of the runs, ratios against the raw baselines), checks the targets,
// and writes the same figures as JSON.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ConsumeRun, PublishRun, RequestRun } from './contender-run';
import type { CommitCeilingRun } from './commit-ceiling';
import type { LatenessRun } from './lateness-run';
import { median } from './stats';

export type ScenarioKind = 'consume' | 'publish' | 'rpc' | 'lateness' | 'bound';
export type RunOutcome<T> = ({ ok: true } & T) | { ok: false; error: string };

export interface ScenarioResult {
  id: string;
  kind: ScenarioKind;
  label: string;
  runs: Array<
    RunOutcome<ConsumeRun> | RunOutcome<PublishRun> | RunOutcome<RequestRun> | RunOutcome<LatenessRun> | RunOutcome<CommitCeilingRun>
  >;
}

export interface ScenarioSummary {
  id: string;
  kind: ScenarioKind;
  label: string;
  okRuns: number;
  /** Medians over the runs that succeeded. Lateness: the publish rate into the ladder. */
  perSecond: number | null;
  /** Over the raw baseline of the same kind (consume: raw; publish: raw-publish; rpc: raw-rpc): see pairedRatio. */
  vsRaw: number | null;
  /** Consume: publish-to-handler latency. Rpc: the round trip. Lateness: lateness. In ms. */
  p50: number | null;
  p99: number | null;
  cpuUsPerMessage: number | null;
  rssStartMb: number | null;
  rssWarmMb: number | null;
  rssEndMb: number | null;
  heapLiveWarmMb: number | null;
  heapLiveEndMb: number | null;
  errors: string[];
}

export type Verdict = 'met' | 'MISSED' | 'unsure' | 'n/a';

export interface TargetCheck {
  scenario: string;
  target: string;
  /** The median over the rounds of the measured figure: a ratio (x), a growth (%) or a lateness (ms). */
  value: number | null;
  unit: 'x' | '%' | 'ms';
  /** The bound, and which side of it meets the target. */
  bound: { atLeast: number } | { atMost: number };
  /** The lowest and highest of the rounds' figures. */
  spread: [number, number] | null;
  /** null: not measured, or the spread of the rounds is wider than the gap between the median and the bound. */
  met: boolean | null;
  verdict: Verdict;
}

const BASELINE: Record<ScenarioKind, string | undefined> = {
  consume: 'raw',
  publish: 'raw-publish',
  rpc: 'raw-rpc',
  lateness: undefined,
  bound: 'raw',
};

function value(run: ScenarioResult['runs'][number] | undefined, key: string): number | undefined {
  return run?.ok ? (run as unknown as Record<string, number>)[key] : undefined;
}

function field(result: ScenarioResult, key: string): number | null {
  return median(result.runs.map((run) => value(run, key)));
}

/**
 * a's figure over b's in the same round, for every round where both have one. Runs of one round follow each other
 * within a minute, so the pair shares the machine's condition: on a shared machine this is steadier than a ratio of
 * medians.
 */
function pairedRatios(a: ScenarioResult | undefined, b: ScenarioResult | undefined, key = 'perSecond'): number[] {
  if (!a || !b) return [];
  return a.runs.flatMap((run, round) => {
    const mine = value(run, key);
    const theirs = value(b.runs[round], key);
    return mine !== undefined && theirs ? [mine / theirs] : [];
  });
}

function pairedRatio(a: ScenarioResult | undefined, b: ScenarioResult | undefined): number | null {
  return median(pairedRatios(a, b));
}

/** Table order: consumers, then the inbox's bound, then publishers, request/reply, then the delay ladder. */
const KIND_ORDER: ScenarioKind[] = ['consume', 'bound', 'publish', 'rpc', 'lateness'];

export function summarise(results: ScenarioResult[]): ScenarioSummary[] {
  const byId = new Map(results.map((result) => [result.id, result]));
  const ordered = [...results].sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));
  return ordered.map((result) => {
    const baselineId = BASELINE[result.kind];
    return {
      id: result.id,
      kind: result.kind,
      label: result.label,
      okRuns: result.runs.filter((run) => run.ok).length,
      perSecond: field(result, result.kind === 'lateness' ? 'publishPerSecond' : 'perSecond'),
      vsRaw: baselineId ? pairedRatio(result, byId.get(baselineId)) : null,
      p50: field(result, 'p50'),
      p99: field(result, 'p99'),
      cpuUsPerMessage: field(result, 'cpuUsPerMessage'),
      rssStartMb: field(result, 'rssStartMb'),
      rssWarmMb: field(result, 'rssWarmMb'),
      heapLiveWarmMb: field(result, 'heapLiveWarmMb'),
      heapLiveEndMb: field(result, 'heapLiveEndMb'),
      rssEndMb: field(result, 'rssEndMb'),
      errors: result.runs.flatMap((run) => (run.ok ? [] : [run.error])),
    };
  });
}

/**
 * Issue 20's targets. Each is judged on the median of its rounds, and only when the rounds agree: when the spread of
 * their figures reaches across the bound (some rounds meet it, some miss it), the machine's noise is larger than the
 * gap between the median and the bound, either verdict could have come out, and the check says "unsure" instead.
 * Rounds that all miss (or all meet) give a verdict, however far apart they are.
 */
export function checkTargets(results: ScenarioResult[]): TargetCheck[] {
  const byId = new Map(results.map((result) => [result.id, result]));
  const ratios = (id: string, over: string, key?: string): number[] => pairedRatios(byId.get(id), byId.get(over), key);
  const perRun = (id: string, figure: (run: Record<string, number>) => number | undefined): number[] =>
    (byId.get(id)?.runs ?? []).flatMap((run) => {
      const x = run.ok ? figure(run as unknown as Record<string, number>) : undefined;
      return x === undefined || x === null || !Number.isFinite(x) ? [] : [x];
    });
  return [
    judge('library', 'library consume CPU/msg <= 1.25x raw', 'x', ratios('library', 'raw', 'cpuUsPerMessage'), { atMost: 1.25 }),
    judge('library', 'library consume >= 1x golevelup (msg/s)', 'x', ratios('library', 'golevelup'), { atLeast: 1 }),
    judge('library-redis', 'with Redis idempotency >= 0.75x raw', 'x', ratios('library-redis', 'raw'), { atLeast: 0.75 }),
    judge('library-inbox', 'with PostgreSQL inbox >= 0.5x raw', 'x', ratios('library-inbox', 'raw'), { atLeast: 0.5 }),
    judge('library-publish', 'MessagePublisher >= 0.95x raw publish', 'x', ratios('library-publish', 'raw-publish'), { atLeast: 0.95 }),
    judge('outbox-relay', 'outbox relay >= 0.8x raw publish', 'x', ratios('outbox-relay', 'raw-publish'), { atLeast: 0.8 }),
    judge(
      'library',
      'library consumer RSS growth <= 10%',
      '%',
      perRun('library', (run) => (run.rssWarmMb ? ((run.rssEndMb - run.rssWarmMb) / run.rssWarmMb) * 100 : undefined)),
      { atMost: 10 },
    ),
    judge(
      'delay-lateness',
      'delay lateness p99 <= 1200 ms',
      'ms',
      perRun('delay-lateness', (run) => run.p99),
      { atMost: 1200 },
    ),
  ];
}

function judge(
  scenario: string,
  target: string,
  unit: TargetCheck['unit'],
  rounds: number[],
  bound: { atLeast: number } | { atMost: number },
): TargetCheck {
  const value = median(rounds);
  if (value === null) return { scenario, target, value, unit, bound, spread: null, met: null, verdict: 'n/a' };
  const spread: [number, number] = [Math.min(...rounds), Math.max(...rounds)];
  const limit = 'atLeast' in bound ? bound.atLeast : bound.atMost;
  const meets = (x: number): boolean => ('atLeast' in bound ? x >= limit : x <= limit);
  const passes = meets(value);
  if (rounds.some(meets) && !rounds.every(meets)) return { scenario, target, value, unit, bound, spread, met: null, verdict: 'unsure' };
  return { scenario, target, value, unit, bound, spread, met: passes, verdict: passes ? 'met' : 'MISSED' };
}

const fmt = (value: number | null, digits = 0): string =>
  value === null ? '-' : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/**
 * A target's figure to three decimals, rounded away from the side that meets it: 0.6996 against ">= 0.7" prints as
 * 0.699, and 1.2504 against "<= 1.25" as 1.251, never as a met-looking bound beside MISSED.
 */
function figure(x: number, check: TargetCheck): string {
  const away = 'atLeast' in check.bound ? Math.floor : Math.ceil;
  const digits = check.unit === 'x' ? 3 : 1;
  const shown = (away(x * 10 ** digits) / 10 ** digits).toFixed(digits);
  return check.unit === 'x' ? `${shown}x` : check.unit === '%' ? `${shown}%` : `${shown} ms`;
}

export function renderTable(summaries: ScenarioSummary[], targets: TargetCheck[]): string {
  const header = ['scenario', 'msg/s', 'vs raw', 'p50 ms', 'p99 ms', 'CPU µs/msg', 'RSS MB', 'runs'];
  const rows = summaries.map((s) => [
    `${s.kind.padEnd(8)} ${s.label}`,
    fmt(s.perSecond),
    s.vsRaw === null ? '-' : `${s.vsRaw.toFixed(2)}x`,
    fmt(s.p50, 2),
    fmt(s.p99, 2),
    fmt(s.cpuUsPerMessage, 1),
    s.rssStartMb === null ? (s.rssEndMb === null ? '-' : fmt(s.rssEndMb)) : `${fmt(s.rssStartMb)}→${fmt(s.rssEndMb)}`,
    `${s.okRuns}/${s.okRuns + s.errors.length}`,
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  out.push('', 'targets:');
  for (const check of targets) {
    const value = check.value === null ? 'not measured' : figure(check.value, check);
    const spread =
      check.spread && check.spread[0] !== check.spread[1]
        ? `  (rounds ${figure(check.spread[0], check)} .. ${figure(check.spread[1], check)})`
        : '';
    out.push(`  ${check.verdict.padEnd(6)}  ${check.target.padEnd(46)} ${value.padStart(9)}${spread}`);
  }
  for (const s of summaries) {
    const failures = [...new Set(s.errors.filter((error) => !error.startsWith('skipped:')).map((error) => error.split('\n')[0]))];
    for (const failure of failures) out.push(`  error in ${s.id}: ${failure}`);
  }
  const skips = [...new Set(summaries.flatMap((s) => s.errors.filter((error) => error.startsWith('skipped:'))))];
  const skipCount = summaries.reduce((n, s) => n + s.errors.filter((error) => error.startsWith('skipped:')).length, 0);
  if (skipCount > 0) out.push(`  ${skipCount} runs not made (${skips.map((skip) => skip.slice('skipped: '.length)).join(', ')})`);
  return out.join('\n');
}

export function writeJson(file: string, content: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(content, null, 2)}\n`);
}
