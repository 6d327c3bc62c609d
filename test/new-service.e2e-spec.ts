/**
 * @jest-environment <rootDir>/test/support/e2e-environment.ts
 */
// End to end, the generator as a user runs it, in a temporary copy of the repository: `npm run new:service` refuses
// taken and invalid names (exit 2, one line, nothing written), then writes a service that passes the lint and the
// format check (and leaves the files it registers it in formatted), whose migration matches its schema, that builds
// with `nest build`, refuses a bad PORT as the sample apps do, starts from dist/ against the real broker and
// PostgreSQL, handles an order.created from its own queue, passes its own tests, and exits 0 on SIGTERM.
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { Test, type TestingModule } from '@nestjs/testing';
import { OrderCreated } from '@app/contracts';
import { MessagePublisher, MessagingModule } from '@app/messaging';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { createTestVhost, eventually, type TestVhost } from './support/test-broker';
import { ServiceProcesses, type ServiceProcess } from './support/service-process';

const ROOT = resolve(__dirname, '..');
/** A name no app has (a dash in it, for the class and database forms), so that the test passes in a user's fork too. */
const NAME = 'billing-e2e';
/** The next port after the apps' ones in docker-compose.yml (orders 3000, notifications 3001: 3002). */
const PORT =
  Math.max(
    ...[...readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8').matchAll(/^\s+PORT:\s*"(\d+)"/gm)].map((match) => Number(match[1])),
  ) + 1;
/** What the copy needs to run the generator and npm scripts, lint, format-check and build, and run the generated test. */
const COPIED = [
  'package.json',
  'eslint.config.mjs',
  '.prettierrc.json',
  '.prettierignore',
  'nest-cli.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'jest.config.js',
  'Dockerfile',
  'docker-compose.yml',
  'docker',
  'scripts',
  'apps',
  'libs',
  'test/support',
];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('npm run new:service', () => {
  const services = ServiceProcesses.forTestFile();
  let copy: string;
  let vhost: TestVhost;
  let database: TestDatabase;

  beforeAll(async () => {
    copy = copyRepository();
    [vhost, database] = await Promise.all([createTestVhost('new-service'), createTestDatabase('new_service')]);
  }, 30_000);

  afterAll(async () => {
    await services.stopAll(15_000);
    await Promise.all([vhost?.delete(), database?.drop()]);
    if (copy) rmSync(copy, { recursive: true, force: true });
  }, 30_000);

  /** Runs a command in the copy, on this Node (first on PATH, so that scripts/with-node.sh picks it too). */
  function run(command: string, args: string[], timeoutMs = 60_000, extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
    const { JEST_WORKER_ID: _worker, ...env } = process.env;
    return new Promise((done) => {
      execFile(
        command,
        args,
        {
          cwd: copy,
          timeout: timeoutMs,
          maxBuffer: 16 * 1024 * 1024,
          env: { ...env, PATH: `${dirname(process.execPath)}${delimiter}${env.PATH ?? ''}`, ...extraEnv },
        },
        (error, stdout, stderr) => done({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
      );
    });
  }

  const newService = (...args: string[]): Promise<Run> => run('npm', ['run', 'new:service', '--', ...args]);

  /** Every file of the copy (but node_modules) with a hash of its content: to see that nothing was written. */
  function treeState(): string[] {
    return readdirSync(copy, { recursive: true, encoding: 'utf8' })
      .filter((path) => !path.startsWith('node_modules') && !path.startsWith('dist'))
      .sort()
      .map((path) => {
        const full = join(copy, path);
        return statSync(full).isDirectory() ? `${path}/` : `${path} ${createHash('sha1').update(readFileSync(full)).digest('hex')}`;
      });
  }

  it.each([
    ['an existing app', 'orders', /"orders" exists already \(apps\/orders\)/],
    ['a library', 'messaging', /"messaging" exists already \(a library: libs\/messaging\)/],
    ['a compose service', 'rabbitmq', /"rabbitmq" exists already \(a service in docker-compose\.yml\)/],
    ['a reserved name', 'all', /"all" is reserved/],
    ['capitals', 'Billing', /"Billing" is not a valid service name/],
    ['a leading digit', '2fa', /"2fa" is not a valid service name/],
    ['a double dash', 'pay--ments', /"pay--ments" is not a valid service name/],
    ['a name too long', 'a'.repeat(31), /too long/],
  ])('refuses %s with one line and exit code 2, and writes nothing', async (_what, name, reason) => {
    const before = treeState();

    const result = await newService(name);

    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(reason)]);
    expect(treeState()).toEqual(before);
  });

  it('writes the app and registers it everywhere, naming its port and the next steps', async () => {
    const result = await newService(NAME);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(`Wrote the ${NAME} service (HTTP port ${PORT}, the next free one)`);
    expect(result.stdout).toMatch(/Next steps:\n {2}npm run build/);
    expect(result.stdout).toContain(`npm run start:${NAME}`);
    for (const file of [
      'src/main.ts',
      'src/tracing.ts',
      'src/service-name.ts',
      `src/${NAME}-app.module.ts`,
      `src/${NAME}/order-created.handler.ts`,
      `src/${NAME}/order-created.handler.harness.spec.ts`,
      'migrations/meta/_journal.json',
      'drizzle.config.ts',
      'tsconfig.app.json',
    ]) {
      expect(existsSync(join(copy, 'apps', NAME, file))).toBe(true);
    }
    const text = (file: string): string => readFileSync(join(copy, file), 'utf8');
    expect(json<{ projects: Record<string, object> }>(text('nest-cli.json')).projects[NAME]).toMatchObject({
      type: 'application',
      root: `apps/${NAME}`,
    });
    expect(json<{ scripts: Record<string, string> }>(text('package.json')).scripts[`start:${NAME}`]).toBe(
      `bash scripts/with-node.sh node dist/apps/${NAME}/src/main.js`,
    );
    expect(text('docker-compose.yml')).toContain(`  ${NAME}:\n    build:\n      context: .\n      args:\n        APP: ${NAME}\n`);
    expect(text('docker-compose.yml')).toContain(`      - "${PORT}:${PORT}"\n`);
    expect(text('docker/postgres/init.sql')).toContain(`CREATE DATABASE "${NAME}";`);
    expect(text('docker/prometheus/prometheus.yml')).toContain(`targets: ["${NAME}:${PORT}"]`);
    expect(readdirSync(join(copy, 'apps')).filter((entry) => entry.startsWith('.'))).toEqual([]); // no staging left
  });

  it('writes code that passes the lint, and leaves every file it wrote or edited formatted', async () => {
    const lint = await run(process.execPath, ['node_modules/eslint/bin/eslint.js', `apps/${NAME}`], 90_000);
    const format = await run('npm', ['run', 'format:check']);

    expect(lint).toMatchObject({ code: 0 }); // a failure shows ESLint's report
    expect(format).toMatchObject({ code: 0 }); // a failure names the files
  }, 150_000);

  it('refuses the same name a second time, and writes nothing', async () => {
    const before = treeState();

    const result = await newService(NAME);

    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(`new:service: "${NAME}" exists already (apps/${NAME}): choose another name`);
    expect(treeState()).toEqual(before);
  });

  it('gives it a first migration that is exactly what drizzle-kit makes of its schema', async () => {
    const result = await run(process.execPath, [
      'node_modules/drizzle-kit/bin.cjs',
      'generate',
      '--config',
      `apps/${NAME}/drizzle.config.ts`,
    ]);

    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain('No schema changes');
    expect(readdirSync(join(copy, 'apps', NAME, 'migrations'))).toEqual([`0000_${NAME}.sql`, 'meta']);
  });

  it('builds it with nest build', async () => {
    const result = await run(process.execPath, ['node_modules/@nestjs/cli/bin/nest.js', 'build', NAME]);

    expect(result).toMatchObject({ code: 0 }); // a failure shows the compiler's output
    expect(existsSync(join(copy, 'dist/apps', NAME, 'src/main.js'))).toBe(true);
  });

  it('stops the built service with one line and exit code 1 on a bad PORT, as the sample apps do', async () => {
    const result = await run(process.execPath, [`dist/apps/${NAME}/src/main.js`], 30_000, {
      ENV_FILE: '/dev/null',
      PORT: 'not-a-port',
      AMQP_URL: vhost.url,
      DATABASE_URL: database.url,
    });

    expect(result).toMatchObject({ code: 1 });
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringContaining('PORT')]);
  });

  describe('the built service, as a real process', () => {
    let service: ServiceProcess;
    let publisher: TestingModule;

    beforeAll(async () => {
      service = await services.start(
        { app: NAME, root: copy, entry: `dist/apps/${NAME}/src/main.js`, amqpUrl: vhost.url, database },
        30_000,
      );
      publisher = await Test.createTestingModule({
        imports: [MessagingModule.forRoot({ serviceName: 'new-service-e2e', url: vhost.url })],
      }).compile();
      await publisher.init();
    }, 45_000);

    afterAll(async () => {
      await publisher?.close();
    });

    it('answers /health/ready with 200, its consumer on its own queue', async () => {
      const response = await service.fetch('/health/ready');

      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        details: { consumers: { queues: [`${NAME}.order.created`] }, database: { status: 'up' } },
      });
    });

    it('records an order.created published to the broker in its own table, and logs it', async () => {
      const orderId = randomUUID();
      await publisher.get(MessagePublisher).publish(OrderCreated, {
        orderId,
        customerId: randomUUID(),
        email: 'new-service@example.com',
        currency: 'EUR',
        items: [{ sku: 'BOOK-1', quantity: 1, unitPrice: '9.90' }],
        total: '9.90',
        placedAt: new Date().toISOString(),
        notification: { kind: 'email', address: 'new-service@example.com' },
      });

      let rows: unknown[] = [];
      await eventually(async () => (rows = await receivedOrders(database, orderId)).length > 0, 'the row of the order');
      expect(rows).toEqual([{ order_id: orderId, total: '9.90', currency: 'EUR' }]);
      expect(service.logs).toMatch(new RegExp(`"event":"order.received","orderId":"${orderId}"`));
    });

    it('exits 0 on SIGTERM', async () => {
      expect(await service.stop('SIGTERM', 20_000)).toEqual({ code: 0, signal: null });
    });
  });

  it('passes its own tests (npm run jest -- apps/<name>)', async () => {
    // Two test files start a database: the broker spec's PostgreSQL, the harness spec's embedded one.
    const result = await run('npm', ['run', 'jest', '--', `apps/${NAME}`], 180_000);

    expect(result).toMatchObject({ code: 0 }); // a failure shows Jest's report
    expect(result.stderr).toMatch(/Tests:\s+(\d+) passed, \1 total/); // the handler's tests (harness, broker) and the configuration's
    expect(result.stderr).toContain(`PASS apps/${NAME}/src/${NAME}/order-created.handler.harness.spec.ts`);
  }, 190_000);
});

function json<T>(text: string): T {
  return JSON.parse(text) as T;
}

/** A copy of what the generator and the build need; node_modules is a link to this repository's. */
function copyRepository(): string {
  const copy = mkdtempSync(join(tmpdir(), 'new-service-'));
  for (const path of COPIED) {
    cpSync(join(ROOT, path), join(copy, path), {
      recursive: true,
      filter: (source) => !/[\\/](node_modules|dist|\.data)([\\/]|$)/.test(source.slice(ROOT.length)),
    });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
  return copy;
}

async function receivedOrders(
  database: TestDatabase,
  orderId: string,
): Promise<Array<{ order_id: string; total: string; currency: string }>> {
  const client = new Client({ connectionString: database.url });
  await client.connect();
  try {
    const result = await client.query<{ order_id: string; total: string; currency: string }>(
      'select order_id, total, currency from received_orders where order_id = $1',
      [orderId],
    );
    return result.rows;
  } catch {
    return []; // the table is made by the service's migration at its start
  } finally {
    await client.end();
  }
}
