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
  rssEndMb: number | null;
  errors: string[];
}

export interface TargetCheck {
  scenario: string;
  target: string;
  /** The measured ratio (x) or lateness (ms). */
  value: number | null;
  unit: 'x' | 'ms';
  /** null: not measured (scenario skipped or failed). */
  met: boolean | null;
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
 * Median over the rounds of a's rate over b's rate in the same round. Runs of one round follow each other within a
 * minute, so the pair shares the machine's condition: on a shared machine this is steadier than a ratio of medians.
 */
function pairedRatio(a: ScenarioResult | undefined, b: ScenarioResult | undefined): number | null {
  if (!a || !b) return null;
  return median(
    a.runs.map((run, round) => {
      const mine = value(run, 'perSecond');
      const theirs = value(b.runs[round], 'perSecond');
      return mine !== undefined && theirs ? mine / theirs : undefined;
    }),
  );
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
      rssEndMb: field(result, 'rssEndMb'),
      errors: result.runs.flatMap((run) => (run.ok ? [] : [run.error])),
    };
  });
}

export function checkTargets(results: ScenarioResult[], summaries: ScenarioSummary[]): TargetCheck[] {
  const byId = new Map(results.map((result) => [result.id, result]));
  const ratio = (id: string, over: string): number | null => pairedRatio(byId.get(id), byId.get(over));
  const atLeast = (scenario: string, target: string, value: number | null, min: number): TargetCheck => ({
    scenario,
    target,
    value,
    unit: 'x',
    met: value === null ? null : value >= min,
  });
  const lateness = summaries.find((summary) => summary.id === 'delay-lateness')?.p99 ?? null;
  return [
    atLeast('library', 'library consume >= 0.9x raw', ratio('library', 'raw'), 0.9),
    atLeast('library-redis', 'with Redis idempotency >= 0.75x raw', ratio('library-redis', 'raw'), 0.75),
    atLeast('library-inbox', 'with PostgreSQL inbox >= 0.5x raw', ratio('library-inbox', 'raw'), 0.5),
    atLeast('library', 'library consume >= 2x @nestjs/microservices', ratio('library', 'nest-microservices'), 2),
    atLeast('library', 'library consume >= 2x golevelup', ratio('library', 'golevelup'), 2),
    atLeast('outbox-relay', 'outbox relay >= 0.7x raw confirmed publish', ratio('outbox-relay', 'raw-publish'), 0.7),
    {
      scenario: 'delay-lateness',
      target: 'delay lateness p99 <= 1200 ms',
      value: lateness,
      unit: 'ms',
      met: lateness === null ? null : lateness <= 1200,
    },
  ];
}

const fmt = (value: number | null, digits = 0): string =>
  value === null ? '-' : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** A ratio cut (not rounded) to three decimals: 0.6996 would print as a met-looking "0.70" beside MISSED. */
const ratioDown = (value: number): string => (Math.floor(value * 1000) / 1000).toFixed(3);

const verdict = (met: boolean | null): string => (met === null ? 'n/a' : met ? 'met' : 'MISSED');

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
    const value = check.value === null ? 'not measured' : check.unit === 'x' ? `${ratioDown(check.value)}x` : `${fmt(check.value)} ms`;
    out.push(`  ${verdict(check.met).padEnd(6)}  ${check.target.padEnd(46)} ${value}`);
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
