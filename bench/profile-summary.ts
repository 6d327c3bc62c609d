// Bench tool: where a worker's CPU went, from a profile written by `npm run bench -- --cpu-prof`. Prints self time by
// package or library file, the hottest functions, and the inclusive time of the library's consume steps, per message.
//   node -r ./test/support/register-ts.js bench/profile-summary.ts bench/results/library-1.cpuprofile.json
//     [--from US --to US] [--messages N] [--top 25]
// --from/--to (monotonic µs) keep the timed part only: `npm run bench` prints them, and latest.json has them as windowUs.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Functions whose inclusive time says what one step of the consume or publish path costs. */
const STEPS = [
  'onDelivery',
  'traceConsume',
  'process',
  'decodeBody',
  'runWithCorrelation',
  'validateMessage',
  'checkMessage',
  'passesFastValidation',
  'buildPlainly',
  'handle',
  'runBatch',
  'startBatches',
  'relayOnce',
  'plainToInstance',
  'validate',
  'settle',
  'consumeOutcome',
  'inc',
  'observe',
  'ack',
  'runOnce',
  'wrap',
  'send',
  'publish',
  'startSpan',
  'extractTraceContext',
  'finish',
  'end',
  'with',
  'debug',
  'log',
];

function place(url: string): string {
  if (!url) return '(native)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const library = url.indexOf('libs/messaging/src/');
  if (library >= 0) return `library: ${url.slice(library + 'libs/messaging/src/'.length)}`;
  if (url.startsWith('node:')) return 'node internals';
  const bench = url.indexOf('/bench/');
  return bench >= 0 ? `bench: ${url.slice(bench + 1)}` : url;
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { from: { type: 'string' }, to: { type: 'string' }, messages: { type: 'string' }, top: { type: 'string', default: '25' } },
  });
  if (positionals.length !== 1) throw new Error('usage: profile-summary.ts <file.cpuprofile.json> [--from US --to US] [--messages N]');
  const profile = JSON.parse(readFileSync(positionals[0], 'utf8')) as Profile;
  const from = values.from ? Number(values.from) : -Infinity;
  const to = values.to ? Number(values.to) : Infinity;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const self = new Map<string, number>();
  const selfByPlace = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let time = profile.startTime;
  profile.samples.forEach((id, i) => {
    time += profile.timeDeltas[i];
    if (time < from || time > to) return;
    const delta = profile.timeDeltas[i];
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') return void (idle += delta);
    total += delta;
    const key = `${functionName || '(anonymous)'} ${place(url)}:${lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + delta);
    const where = ['(garbage collector)', '(program)'].includes(functionName) ? functionName : place(url);
    selfByPlace.set(where, (selfByPlace.get(where) ?? 0) + delta);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      if (!STEPS.includes(frame.functionName)) continue;
      const step = `${frame.functionName} (${place(frame.url)})`;
      if (seen.has(step)) continue;
      seen.add(step);
      inclusive.set(step, (inclusive.get(step) ?? 0) + delta);
    }
  });

  const messages = values.messages ? Number(values.messages) : undefined;
  const top = Number(values.top);
  const show = (title: string, entries: Map<string, number>, limit: number): void => {
    console.log(`\n${title}`);
    for (const [key, us] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, limit)) {
      const share = `${((us / total) * 100).toFixed(1)}%`.padStart(6);
      const perMessage = messages ? `${(us / messages).toFixed(1).padStart(7)} µs/msg` : '';
      console.log(`  ${share} ${perMessage}  ${key}`);
    }
  };
  console.log(
    `busy ${(total / 1000).toFixed(0)} ms, idle ${(idle / 1000).toFixed(0)} ms${messages ? `, ${messages} messages: ${(total / messages).toFixed(1)} µs busy per message` : ''}`,
  );
  show('self time by place', selfByPlace, top);
  show('hottest functions (self time)', self, top);
  show('inclusive time of steps', inclusive, STEPS.length * 2);
}

main();
