// Runs a service's bootstrap (main.ts): a start that fails on a configuration error ends with one line and exit code
// 1; any other failure is reported as Nest and Node report it (with its stack), and also exits 1. A configuration
// error found a little later, while the service waits for a dependency it has never reached yet (a database that,
// once up, refuses the password), ends it the same way.
import { inspect } from 'node:util';
import { ConsoleLogger, Logger, type LoggerService, type NestApplicationOptions } from '@nestjs/common';
import { ConfigError } from '@app/messaging-core';
import { exitWithConfigError, PROCESS_EXIT_IO, type ExitIo } from './exit-on-config-error';

/**
 * NestFactory.create options of an app that runService starts: logs wait in Nest's buffer until the app's logger
 * takes over (`app.useLogger(...)`, then `app.flushLogs()`), so that a configuration error prints nothing else; a
 * failed create throws to runService instead of Nest ending the process itself (process.exit, or abort).
 */
export const RUN_SERVICE_OPTIONS = {
  bufferLogs: true,
  autoFlushLogs: false,
  abortOnError: false,
} as const satisfies NestApplicationOptions;

/** Calls `bootstrap` and ends the process if it fails: see the file's header. Resolves when the service has started. */
export async function runService(bootstrap: () => Promise<void>, io: ExitIo = PROCESS_EXIT_IO): Promise<void> {
  if (io === PROCESS_EXIT_IO) exitOnLaterConfigErrors();
  try {
    await bootstrap();
  } catch (error) {
    if (error instanceof ConfigError) exitWithConfigError(error, io);
    // A failed NestFactory.create has logged the error itself (into the buffer): print that report, as Nest would
    // have, and the error only if it was not in it (a failure after create: listen, an init hook).
    if (!flushBufferedLogs(error)) io.stderr.write(`${inspect(error)}\n`);
    io.exit(1);
  }
}

let watchingLaterConfigErrors = false;

/**
 * A ConfigError thrown where nothing catches it (a dependency's monitor throws one that shows only after the start)
 * ends the process with its one line and exit 1, before Node would print it with a stack. Installed once per process.
 */
function exitOnLaterConfigErrors(): void {
  if (watchingLaterConfigErrors) return;
  watchingLaterConfigErrors = true;
  process.on('uncaughtExceptionMonitor', (error) => {
    if (error instanceof ConfigError) exitWithConfigError(error, PROCESS_EXIT_IO);
  });
}

/** Prints what Nest buffered through its console logger; true when `error` was among the errors it logged. */
function flushBufferedLogs(error: unknown): boolean {
  const consoleLogger = new ConsoleLogger();
  let reported = false;
  const logger: LoggerService = {
    log: (message: unknown, ...rest: unknown[]) => consoleLogger.log(message, ...rest),
    warn: (message: unknown, ...rest: unknown[]) => consoleLogger.warn(message, ...rest),
    debug: (message: unknown, ...rest: unknown[]) => consoleLogger.debug(message, ...rest),
    verbose: (message: unknown, ...rest: unknown[]) => consoleLogger.verbose(message, ...rest),
    fatal: (message: unknown, ...rest: unknown[]) => consoleLogger.fatal(message, ...rest),
    error: (message: unknown, ...rest: unknown[]) => {
      reported ||= message === error;
      consoleLogger.error(message, ...rest);
    },
  };
  Logger.overrideLogger(logger);
  Logger.flush();
  return reported;
}
