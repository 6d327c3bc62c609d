/**
 * @jest-environment <rootDir>/test/support/e2e-environment.ts
 */
// End to end: a sample app started as a real process with one wrong variable stops at once, before it needs the
// broker or the database, with exit code 1 and one line on stderr naming the variable, the value and the accepted
// form. (That a right configuration starts is what every other e2e spec shows.)
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { ServiceProcesses, type AppName, type ExitStatus } from './support/service-process';

/** Nothing listens there: an app that waited for the broker would never exit. */
const NO_BROKER = 'amqp://guest:guest@127.0.0.1:1';
/**
 * Most of a refused start is loading the sources (~3 s of CPU each, five at once); a busy 2-core machine takes several
 * times that. Far below forever, which is what an app that waited for the broker would take.
 */
const EXIT_WITHIN_MS = 60_000;

interface Refusal {
  app: AppName;
  env: Record<string, string>;
  line: string;
}

const REFUSALS: Refusal[] = [
  {
    app: 'notifications',
    env: { CIRCUIT_FAILURE_THRESHOLD: 'abc' },
    line: 'config error: CIRCUIT_FAILURE_THRESHOLD="abc" must be an integer from 1 to 1000',
  },
  { app: 'notifications', env: { PORT: '0' }, line: 'config error: PORT="0" must be an integer from 1 to 65535' },
  { app: 'orders', env: { PORT: '70000' }, line: 'config error: PORT="70000" must be an integer from 1 to 65535' },
  { app: 'orders', env: { AMQP_PREFETCH: 'abc' }, line: 'config error: AMQP_PREFETCH="abc" must be an integer from 1 to 65535' },
  {
    app: 'orders',
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'otel-collector' },
    line: 'config error: OTEL_EXPORTER_OTLP_ENDPOINT="otel-collector" must be a URL starting with http:// or https://, e.g. http://otel-collector:4318 (it is not a URL)',
  },
];

interface Outcome {
  status?: ExitStatus;
  elapsedMs: number;
  output: string;
}

describe('a sample app started with a wrong variable', () => {
  const services = ServiceProcesses.forTestFile();
  const databases: TestDatabase[] = [];
  const outcomes = new Map<Refusal, Outcome>();

  // All at once: each is a process of its own, and most of their time is the same loading of the sources.
  beforeAll(async () => {
    await Promise.all(
      REFUSALS.map(async (refusal) => {
        const database = await createTestDatabase(`refusal-${refusal.app}`, 'pglite');
        databases.push(database);
        const started = Date.now();
        const service = await services.launch({ app: refusal.app, amqpUrl: NO_BROKER, database, env: refusal.env });
        const status = await service.waitForExit(EXIT_WITHIN_MS);
        outcomes.set(refusal, { status, elapsedMs: Date.now() - started, output: service.logs });
      }),
    );
  }, EXIT_WITHIN_MS + 30_000);

  afterAll(async () => {
    await Promise.all(databases.map((database) => database.drop()));
  });

  it.each(REFUSALS.map((refusal) => [`${refusal.app} with ${Object.entries(refusal.env)[0].join('=')}`, refusal] as const))(
    '%s exits 1 at once, printing one line that names the variable and the accepted form',
    (_label, refusal) => {
      const outcome = outcomes.get(refusal)!;

      expect(outcome.status).toEqual({ code: 1, signal: null });
      expect(outcome.output).toBe(`${refusal.line}\n`);
      expect(outcome.elapsedMs).toBeLessThan(EXIT_WITHIN_MS);
    },
  );
});
