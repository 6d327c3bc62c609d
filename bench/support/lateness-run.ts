// Bench: one run of bench/delay-lateness.ts (the delay ladder's lateness, in a vhost of its own), read back from the
// file it writes. Bounded: killed if it overruns its own deadline (max delay + 30 s grace) by a minute.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR, REPO_ROOT } from './contenders';
import type { BenchSettings } from './settings';

const REGISTER_TS = join(REPO_ROOT, 'test/support/register-ts.js');
const RESULTS_FILE = join(BENCH_DIR, 'results', 'delay-lateness.json');

export interface LatenessRun {
  publishPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  early: number;
  missing: number;
  duplicates: number;
}

/** Runs in progress, so that the bench can stop them (they delete their own vhost on SIGINT). */
const running = new Set<ChildProcess>();

export async function stopLatenessRuns(): Promise<void> {
  await Promise.all(
    [...running].map(async (child) => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }),
  );
}

interface LatenessReport {
  at: string;
  publish: { ratePerSecond: number };
  lateness: { p50: number; p99: number; max: number; early: number };
  missing: { count: number };
  duplicates: number;
}

export async function latenessRun(settings: BenchSettings): Promise<LatenessRun> {
  const startedAt = new Date().toISOString();
  const args = [
    '-r',
    REGISTER_TS,
    join(BENCH_DIR, 'delay-lateness.ts'),
    '--count',
    String(settings.delayCount),
    '--max-delay',
    String(settings.delayMaxSeconds),
    '--queue-type',
    settings.queueType,
  ];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const output: string[] = [];
  const keep = (chunk: Buffer): void => {
    output.push(chunk.toString('utf8'));
    if (output.length > 200) output.shift();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const limitMs = (settings.delayMaxSeconds + 30 + 90) * 1000;
  const timer = setTimeout(() => child.kill('SIGINT'), limitMs); // SIGINT: it deletes its vhost on the way out
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);

  let report: LatenessReport | undefined;
  try {
    report = (JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as Record<string, LatenessReport>)[settings.queueType];
  } catch {
    // Reported below.
  }
  if (!report || report.at < startedAt) {
    throw new Error(`delay-lateness exited with code ${String(code)} and wrote no result\n${output.join('').slice(-1500)}`);
  }
  return {
    publishPerSecond: report.publish.ratePerSecond,
    p50: report.lateness.p50,
    p99: report.lateness.p99,
    max: report.lateness.max,
    early: report.lateness.early,
    missing: report.missing.count,
    duplicates: report.duplicates,
  };
}
