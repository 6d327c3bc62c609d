// npm run prove: for each row of the README's guarantee table, breaks the guarantee on purpose in a scratch copy of
// the source (never the working tree) and runs the test the README names for that row, which must fail.
//
//   npm run prove                      every sabotage, one after another
//   npm run prove -- --quick           the short subset npm test runs
//   npm run prove -- --only <text>     the sabotages whose row, name or file contains <text> (may be repeated)
//   npm run prove -- --from <n>        from the n-th sabotage of the list on (to resume a run cut short)
//   npm run prove -- --list            the sabotages, without running anything
//
// A sabotage is a string replacement that must match its file exactly once (else it is reported stale: the code moved
// and the sabotage must follow). "caught" means at least one test case failed; a suite that fails to run (a compile
// error, say) proves nothing and is reported as broken. Exit 1 unless every sabotage run is caught.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SABOTAGES, type Sabotage } from './sabotages';

type Verdict = 'caught' | 'missed' | 'stale' | 'broken' | 'no test ran';

interface Outcome {
  sabotage: Sabotage;
  verdict: Verdict;
  seconds: number;
  detail?: string;
}

interface JestReport {
  numFailedTests: number;
  numPassedTests: number;
  numRuntimeErrorTestSuites: number;
  testResults: Array<{ message?: string; assertionResults: Array<{ fullName: string; status: string }> }>;
}

const ROOT = resolve(__dirname, '..', '..');
/** One scratch copy per working tree, kept between runs so that Jest's transform cache stays warm. */
const SCRATCH = join(tmpdir(), `prove-${createHash('sha1').update(ROOT).digest('hex').slice(0, 10)}`);
const RUN_TIMEOUT_MS = 8 * 60_000;

function parseArgs(argv: string[]): { quick: boolean; only: string[]; from: number; list: boolean } {
  const options: { quick: boolean; only: string[]; from: number; list: boolean } = { quick: false, only: [], from: 1, list: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') options.quick = true;
    else if (argv[i] === '--list') options.list = true;
    else if (argv[i] === '--only') options.only.push(argv[++i].toLowerCase());
    else if (argv[i] === '--from') options.from = Number(argv[++i]);
    else throw new Error(`prove: unknown argument ${argv[i]} (--quick, --only <text>, --from <n>, --list)`);
  }
  return options;
}

/** The working tree's source into the scratch folder (node_modules linked, not copied). */
function syncScratch(): void {
  mkdirSync(SCRATCH, { recursive: true });
  execFileSync('rsync', [
    '-a',
    '--delete',
    '--exclude=/node_modules',
    '--exclude=/.git',
    '--exclude=/.data',
    '--exclude=/dist',
    '--exclude=/coverage',
    '--exclude=/tools/node/node_modules',
    `${ROOT}/`,
    `${SCRATCH}/`,
  ]);
  const link = join(SCRATCH, 'node_modules');
  if (!existsSync(link)) symlinkSync(join(ROOT, 'node_modules'), link);
}

function occurrences(text: string, part: string): number {
  let count = 0;
  for (let at = text.indexOf(part); at !== -1; at = text.indexOf(part, at + part.length)) count++;
  return count;
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** A RabbitMQ node of the proof's own for the specs that stop their broker (scripts/prove/private-broker.sh). */
class PrivateBroker {
  private constructor(
    readonly name: string,
    readonly env: Record<string, string>,
  ) {}

  static async start(): Promise<PrivateBroker> {
    const name = `prove${process.pid}`;
    const [port, dist] = [await freePort(), await freePort()];
    const script = join(ROOT, 'scripts/prove/private-broker.sh');
    execFileSync('bash', [script, 'start', name, String(port), String(dist)], { stdio: 'inherit' });
    const ctl = execFileSync('bash', [script, 'ctl', name], { encoding: 'utf8' }).trim();
    return new PrivateBroker(name, { AMQP_PORT: String(port), RABBITMQCTL: ctl });
  }

  stop(): void {
    execFileSync('bash', [join(ROOT, 'scripts/prove/private-broker.sh'), 'stop', this.name], { stdio: 'inherit' });
  }
}

function runJest(sabotage: Sabotage, env: Record<string, string>): Promise<{ report?: JestReport; output: string }> {
  const reportFile = join(SCRATCH, '.prove-report.json');
  rmSync(reportFile, { force: true });
  const args = [
    '--experimental-vm-modules',
    '--no-warnings=ExperimentalWarning',
    'node_modules/jest/bin/jest.js',
    '--config',
    sabotage.faults ? 'jest.faults.config.js' : 'jest.config.js',
    '--runTestsByPath',
    ...sabotage.tests,
    '--json',
    `--outputFile=${reportFile}`,
    '--maxWorkers=1',
    '--forceExit',
  ];
  if (sabotage.filter) args.push('-t', sabotage.filter);
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { cwd: SCRATCH, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('close', () => {
      clearTimeout(timer);
      const report = existsSync(reportFile) ? (JSON.parse(readFileSync(reportFile, 'utf8')) as JestReport) : undefined;
      done({ report, output });
    });
  });
}

function judge(report: JestReport | undefined, output: string): { verdict: Verdict; detail?: string } {
  if (!report) return { verdict: 'broken', detail: lastLines(output) };
  if (report.numFailedTests > 0) {
    const failed = report.testResults.flatMap((suite) => suite.assertionResults).filter((test) => test.status === 'failed');
    return { verdict: 'caught', detail: failed.map((test) => test.fullName).join('; ') };
  }
  if (report.numRuntimeErrorTestSuites > 0) {
    return { verdict: 'broken', detail: lastLines(report.testResults.map((suite) => suite.message ?? '').join('\n')) };
  }
  if (report.numPassedTests === 0) return { verdict: 'no test ran' };
  return { verdict: 'missed' };
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-6).join(' | ');
}

async function prove(sabotage: Sabotage, broker: () => Promise<PrivateBroker>): Promise<Outcome> {
  const started = Date.now();
  const file = join(SCRATCH, sabotage.file);
  const original = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const found = occurrences(original, sabotage.find);
  if (found !== 1) {
    return { sabotage, verdict: 'stale', seconds: 0, detail: `${sabotage.file}: the text to replace occurs ${found} times, not once` };
  }
  writeFileSync(
    file,
    original.replace(sabotage.find, () => sabotage.replace),
  );
  try {
    const env = sabotage.faults ? (await broker()).env : {};
    const { report, output } = await runJest(sabotage, env);
    return { sabotage, ...judge(report, output), seconds: Math.round((Date.now() - started) / 1000) };
  } finally {
    writeFileSync(file, original);
  }
}

function table(outcomes: Outcome[]): string {
  const rows = outcomes.map((o) => [
    o.sabotage.row,
    o.sabotage.name,
    `${o.sabotage.tests.join(', ')}${o.sabotage.filter ? ` -t "${o.sabotage.filter}"` : ''}`,
    o.verdict,
    `${o.seconds}s`,
  ]);
  const head = ['row', 'sabotage', 'named test', 'verdict', 'time'];
  const widths = head.map((h, i) => Math.min(70, Math.max(h.length, ...rows.map((r) => r[i].length))));
  const cut = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width));
  return [head, head.map((_, i) => '-'.repeat(widths[i])), ...rows].map((r) => r.map((c, i) => cut(c, widths[i])).join(' | ')).join('\n');
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const chosen = SABOTAGES.filter(
    (s, index) =>
      index + 1 >= options.from &&
      (!options.quick || s.quick) &&
      (options.only.length === 0 || options.only.some((only) => [s.row, s.name, s.file].some((text) => text.toLowerCase().includes(only)))),
  );
  if (options.list) {
    // Read-only: each sabotage with how often its text occurs in the working tree (1 or it is stale).
    for (const s of chosen) {
      const file = join(ROOT, s.file);
      const found = existsSync(file) ? occurrences(readFileSync(file, 'utf8'), s.find) : 0;
      const tests = `${s.tests.join(', ')}${s.filter ? ` -t "${s.filter}"` : ''}`;
      console.log(`${found === 1 ? 'ok   ' : 'STALE'} ${s.row}: ${s.name} (${s.file}) -> ${tests}`);
    }
    return;
  }
  if (chosen.length === 0) throw new Error('prove: no sabotage chosen');
  const begun = Date.now();
  syncScratch();
  console.log(`prove: ${chosen.length} sabotage(s), one at a time, in ${SCRATCH}`);
  let privateBroker: Promise<PrivateBroker> | undefined;
  let interrupted = false;
  // Ctrl-C reaches the running Jest too; the loop stops after it and the private broker is removed.
  process.once('SIGINT', () => (interrupted = true));
  const outcomes: Outcome[] = [];
  try {
    for (const sabotage of chosen) {
      if (interrupted) break;
      const outcome = await prove(sabotage, () => (privateBroker ??= PrivateBroker.start()));
      outcomes.push(outcome);
      console.log(
        `prove: ${outcome.verdict.padEnd(11)} ${outcome.seconds}s  ${sabotage.row}: ${sabotage.name}${outcome.detail ? `\n         ${outcome.detail}` : ''}`,
      );
    }
  } finally {
    if (privateBroker) (await privateBroker).stop();
  }
  if (interrupted) process.exitCode = 130;
  console.log(`\n${table(outcomes)}\n`);
  const bad = outcomes.filter((o) => o.verdict !== 'caught');
  const rows = new Set(outcomes.map((o) => o.sabotage.row)).size;
  console.log(
    `prove: ${outcomes.length - bad.length} of ${outcomes.length} sabotages caught, ${rows} rows, in ${Math.round((Date.now() - begun) / 1000)} s`,
  );
  if (bad.length > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
