// Bench: who competes. Each contender is a worker process (see worker-link.js); this file says which program, in
// which package, with which extra environment, and what it is compared with.
import { join } from 'node:path';
import { BENCH_REQUEST_QUEUES } from './bench-message';

export const BENCH_DIR = join(__dirname, '..');
export const REPO_ROOT = join(BENCH_DIR, '..');
/** Workers load the TypeScript compiled ahead by transpile-ahead.ts, not the compiler itself. */
const REGISTER_TRANSPILED = join(BENCH_DIR, 'support', 'register-transpiled.js');

export type ContenderKind = 'consume' | 'publish' | 'rpc';
/** What a contender needs besides the broker. */
export type Needs = 'redis' | 'database' | 'peer';

export interface Contender {
  id: string;
  kind: ContenderKind;
  label: string;
  /** A TypeScript worker under bench/workers, or a program of a peer package (default its consumer.js). */
  program: { typescript: string } | { peer: string; file?: string };
  env?: Record<string, string>;
  needs: Needs[];
  /** Not part of the default set: runs only when named in --only. */
  optional?: boolean;
}

export const CONTENDERS: Contender[] = [
  { id: 'raw', kind: 'consume', label: 'raw amqplib (consume + ack)', program: { typescript: 'raw-consumer.ts' }, needs: [] },
  {
    id: 'library',
    kind: 'consume',
    label: 'library @MessageHandler',
    program: { typescript: 'library-consumer.ts' },
    env: { BENCH_MODE: 'plain' },
    needs: [],
  },
  {
    id: 'library-redis',
    kind: 'consume',
    label: "library + @Idempotent({store:'redis'})",
    program: { typescript: 'library-consumer.ts' },
    env: { BENCH_MODE: 'redis' },
    needs: ['redis'],
  },
  {
    id: 'library-inbox',
    kind: 'consume',
    label: 'library + @Idempotent() PostgreSQL inbox',
    program: { typescript: 'library-consumer.ts' },
    env: { BENCH_MODE: 'database' },
    needs: ['database'],
  },
  {
    id: 'library-logging',
    kind: 'consume',
    label: 'library + pino at debug (a line per ack)',
    program: { typescript: 'library-consumer.ts' },
    env: { BENCH_MODE: 'logging', BENCH_LOG_LEVEL: 'debug' },
    needs: [],
    optional: true,
  },
  {
    id: 'library-transport',
    kind: 'consume',
    label: 'library @EventPattern (MessagingTransport)',
    program: { typescript: 'library-consumer.ts' },
    env: { BENCH_MODE: 'transport' },
    needs: [],
  },
  {
    id: 'nest-microservices',
    kind: 'consume',
    label: '@nestjs/microservices RMQ 12',
    program: { peer: 'nest-microservices' },
    needs: ['peer'],
  },
  { id: 'golevelup', kind: 'consume', label: '@golevelup/nestjs-rabbitmq 9', program: { peer: 'golevelup' }, needs: ['peer'] },
  { id: 'raw-publish', kind: 'publish', label: 'raw amqplib confirm channel', program: { typescript: 'raw-publisher.ts' }, needs: [] },
  {
    id: 'library-publish',
    kind: 'publish',
    label: 'library MessagePublisher.publish',
    program: { typescript: 'library-publisher.ts' },
    needs: [],
  },
  {
    id: 'outbox-relay',
    kind: 'publish',
    label: 'library OutboxRelay (PostgreSQL)',
    program: { typescript: 'outbox-relay.ts' },
    needs: ['database'],
  },
  {
    id: 'raw-rpc',
    kind: 'rpc',
    label: 'raw amqplib request/reply (direct reply-to)',
    program: { typescript: 'raw-rpc.ts' },
    env: { BENCH_REQUEST_QUEUE: BENCH_REQUEST_QUEUES.raw },
    needs: [],
  },
  {
    id: 'library-rpc',
    kind: 'rpc',
    label: 'library MessagingClient.send -> @MessagePattern',
    program: { typescript: 'library-rpc.ts' },
    needs: [],
  },
  {
    id: 'nest-microservices-rpc',
    kind: 'rpc',
    label: '@nestjs/microservices RMQ 12 ClientRMQ.send',
    program: { peer: 'nest-microservices', file: 'rpc.js' },
    env: { BENCH_REQUEST_QUEUE: BENCH_REQUEST_QUEUES.nest },
    needs: ['peer'],
  },
];

/** The scenario that stands for "delay lateness" in --only and in the results. */
export const LATENESS_ID = 'delay-lateness';
/** The PostgreSQL commit ceiling (see commit-ceiling.ts): runs with the inbox scenario, as its bound. */
export const COMMIT_CEILING_ID = 'postgres-commits';

export function peerDir(peer: string): string {
  return join(BENCH_DIR, 'peers', peer);
}

/** Node arguments and folder of a contender's worker; `profileDir` turns on --cpu-prof. */
export function workerCommand(contender: Contender, profileName?: string, profileDir?: string): { args: string[]; cwd: string } {
  const nodeArgs = [
    // The consume recorder measures the live heap after a full collection, outside the timed part (consume-recorder.js).
    '--expose-gc',
    ...(profileDir && profileName ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${profileName}.cpuprofile.json`] : []),
  ];
  if ('peer' in contender.program) {
    const dir = peerDir(contender.program.peer);
    return { args: [...nodeArgs, join(dir, contender.program.file ?? 'consumer.js')], cwd: dir };
  }
  return { args: [...nodeArgs, '-r', REGISTER_TRANSPILED, join(BENCH_DIR, 'workers', contender.program.typescript)], cwd: REPO_ROOT };
}
