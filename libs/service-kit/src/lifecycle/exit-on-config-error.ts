// How a service stops on a configuration error: one line on stderr, `config error: <message>`, and exit code 1; no
// stack, since the message says what to fix. Light (no Nest): tracing.ts uses it before Nest is loaded.
import { ConfigError } from '@app/messaging-core';

/** Where the line goes and how the process ends; tests pass their own. */
export interface ExitIo {
  stderr: { write(text: string): unknown };
  exit(code: number): never;
}

export const PROCESS_EXIT_IO: ExitIo = { stderr: process.stderr, exit: (code) => process.exit(code) };

/** Runs `start`; a ConfigError it throws ends the process with one line and exit code 1. Any other error is thrown on. */
export function exitOnConfigError<T>(start: () => T, io: ExitIo = PROCESS_EXIT_IO): T {
  try {
    return start();
  } catch (error) {
    if (error instanceof ConfigError) exitWithConfigError(error, io);
    throw error;
  }
}

/** Writes `config error: <message>` as one line and exits 1. */
export function exitWithConfigError(error: ConfigError, io: ExitIo = PROCESS_EXIT_IO): never {
  io.stderr.write(`config error: ${error.message.replace(/\s*\n\s*/g, ' ')}\n`);
  return io.exit(1);
}
