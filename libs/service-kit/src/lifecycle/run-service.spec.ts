import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { Logger, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EnvConfigError, MessagingConfigError } from '@app/messaging-core';
import { exitOnConfigError, exitWithConfigError, type ExitIo } from './exit-on-config-error';
import { RUN_SERVICE_OPTIONS, runService } from './run-service';

/** What a fake process.exit throws, so that the code after it does not run. */
class Exited extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** An ExitIo that records the lines and the exit code instead of ending the test. */
function fakeIo(): ExitIo & { written: () => string } {
  const chunks: string[] = [];
  return {
    stderr: { write: (text: string) => chunks.push(text) },
    exit: (code: number) => {
      throw new Exited(code);
    },
    written: () => chunks.join(''),
  };
}

/** A module whose only provider throws `error` when the application is created. */
function moduleFailingWith(error: Error): Type {
  @Module({
    providers: [
      {
        provide: 'SETTING',
        useFactory: () => {
          throw error;
        },
      },
    ],
  })
  class FailingModule {}
  return FailingModule;
}

@Module({})
class EmptyModule {}

const BAD_PORT = new EnvConfigError('PORT', '0', 'must be an integer from 1 to 65535');

describe('exitOnConfigError', () => {
  it('returns what the start returns', () => {
    expect(exitOnConfigError(() => 42, fakeIo())).toBe(42);
  });

  it('ends the process with one line and exit code 1 on a configuration error', () => {
    const io = fakeIo();

    expect(() =>
      exitOnConfigError(() => {
        throw BAD_PORT;
      }, io),
    ).toThrow(new Exited(1));
    expect(io.written()).toBe('config error: PORT="0" must be an integer from 1 to 65535\n');
  });

  it('throws any other error on, as it is', () => {
    const io = fakeIo();
    const failure = new TypeError('not configuration');

    expect(() =>
      exitOnConfigError(() => {
        throw failure;
      }, io),
    ).toThrow(failure);
    expect(io.written()).toBe('');
  });

  it('keeps the line one line whatever the message holds', () => {
    const io = fakeIo();

    expect(() => exitWithConfigError(new MessagingConfigError('queue', 'two handlers\n  consume one queue'), io)).toThrow(Exited);
    expect(io.written()).toBe('config error: Invalid messaging option "queue": two handlers consume one queue\n');
  });
});

describe('runService', () => {
  let stdout: jest.SpyInstance;
  let stderr: jest.SpyInstance;

  beforeEach(() => {
    stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });

  afterEach(() => {
    stdout.mockRestore();
    stderr.mockRestore();
    // Back to the quiet logger of the test setup, with no buffer left attached by a start that did not finish.
    Logger.overrideLogger(false);
    Logger.flush();
  });

  const printed = (): string => [stdout, stderr].flatMap((spy) => (spy.mock.calls as unknown[][]).map(([chunk]) => String(chunk))).join('');

  it('resolves once the bootstrap has, without ending the process', async () => {
    const io = fakeIo();

    await runService(async () => {
      const app = await NestFactory.createApplicationContext(EmptyModule, RUN_SERVICE_OPTIONS);
      app.flushLogs();
      await app.close();
    }, io);

    expect(io.written()).toBe('');
  });

  it('prints one line and exits 1 when creating the application meets a configuration error: no Nest report, no stack', async () => {
    const io = fakeIo();

    await expect(
      runService(async () => void (await NestFactory.createApplicationContext(moduleFailingWith(BAD_PORT), RUN_SERVICE_OPTIONS)), io),
    ).rejects.toEqual(new Exited(1));

    expect(io.written()).toBe('config error: PORT="0" must be an integer from 1 to 65535\n');
    expect(printed()).toBe('');
  });

  it('prints one line and exits 1 for a configuration error after the application was created (an init hook, listen)', async () => {
    const io = fakeIo();

    await expect(
      runService(async () => {
        const app = await NestFactory.createApplicationContext(EmptyModule, RUN_SERVICE_OPTIONS);
        app.flushLogs();
        await app.close();
        throw new MessagingConfigError('queue', 'handlers A and B both consume "orders.order.created"');
      }, io),
    ).rejects.toEqual(new Exited(1));

    expect(io.written()).toBe('config error: Invalid messaging option "queue": handlers A and B both consume "orders.order.created"\n');
  });

  it("keeps Nest's own report of any other failed create (once) and exits 1", async () => {
    const io = fakeIo();
    const failure = new Error('connect ECONNREFUSED 127.0.0.1:5432');

    await expect(
      runService(async () => void (await NestFactory.createApplicationContext(moduleFailingWith(failure), RUN_SERVICE_OPTIONS)), io),
    ).rejects.toEqual(new Exited(1));

    const everything = printed() + io.written();
    expect(everything).toContain('ExceptionHandler');
    expect(everything.split('connect ECONNREFUSED 127.0.0.1:5432').length - 1).toBe(1);
    expect(everything).toMatch(/at .*run-service\.spec\.ts/);
  });

  it('prints any other failure after the create with its stack, and exits 1', async () => {
    const io = fakeIo();

    await expect(
      runService(async () => {
        const app = await NestFactory.createApplicationContext(EmptyModule, RUN_SERVICE_OPTIONS);
        app.flushLogs();
        await app.close();
        throw Object.assign(new Error('listen EADDRINUSE: address already in use :::3000'), { code: 'EADDRINUSE' });
      }, io),
    ).rejects.toEqual(new Exited(1));

    expect(io.written()).toMatch(/^Error: listen EADDRINUSE: address already in use :::3000\n\s+at /);
    expect(io.written()).toContain("code: 'EADDRINUSE'");
  });

  it('ends the process with one line and exit 1 on a configuration error thrown later, where nothing catches it', () => {
    // In a process of its own: the start succeeds, then (as a dependency's monitor does when the database, once
    // reachable, refuses the password) a ConfigError is thrown from a timer.
    const script = [
      "const { runService } = require('./libs/service-kit/src/lifecycle/run-service.ts');",
      "const { EnvConfigError } = require('./libs/messaging-core/src/index.ts');",
      'runService(async () => {',
      "  setTimeout(() => { throw new EnvConfigError('DATABASE_URL', 'postgres://app:***@db/orders', 'was refused by the database (SQLSTATE 28P01)'); }, 10);",
      '});',
    ].join('\n');
    const child = spawnSync(process.execPath, ['-r', './test/support/register-ts.js', '-e', script], {
      cwd: resolve(__dirname, '../../../..'),
      encoding: 'utf8',
      timeout: 30_000,
    });

    expect(child.stderr).toBe('config error: DATABASE_URL="postgres://app:***@db/orders" was refused by the database (SQLSTATE 28P01)\n');
    expect(child.status).toBe(1);
  });
});
