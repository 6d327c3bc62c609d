// SIGTERM/SIGINT handling for a service: close the application (readiness off, consumers drained, outbox batch
// finished, connections closed) and exit 0; exit 1 if that fails or takes too long. A second signal exits at once.
import { Logger, type INestApplicationContext } from '@nestjs/common';

export interface GracefulShutdownOptions {
  /** Upper bound of the whole close. Default 30000 ms (keep it under the orchestrator's grace period). */
  timeoutMs?: number;
  signals?: NodeJS.Signals[];
  /** For tests: what to do instead of process.exit. */
  exit?: (code: number) => void;
}

export function enableGracefulShutdown(app: INestApplicationContext, options: GracefulShutdownOptions = {}): void {
  const logger = new Logger('Lifecycle');
  const { timeoutMs = 30_000, signals = ['SIGTERM', 'SIGINT'], exit = (code: number) => process.exit(code) } = options;
  let closing = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) {
      logger.warn({ event: 'shutdown.forced', signal });
      exit(1);
      return;
    }
    closing = true;
    logger.log({ event: 'shutdown.started', signal });
    const timer = setTimeout(() => {
      logger.error({ event: 'shutdown.timed_out', timeoutMs });
      exit(1);
    }, timeoutMs);
    timer.unref();
    app.close().then(
      () => {
        clearTimeout(timer);
        logger.log({ event: 'shutdown.completed' });
        exit(0);
      },
      (error: unknown) => {
        clearTimeout(timer);
        logger.error({ event: 'shutdown.failed', reason: error instanceof Error ? error.message : String(error) });
        exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, onSignal);
  // While closing, a broker call cut short by its channel closing is expected, not a reason to exit 1 halfway through
  // the drain. Outside shutdown an unhandled rejection still ends the process, as Node does by default.
  process.on('unhandledRejection', (reason) => {
    if (!closing) throw reason;
    logger.warn({ event: 'shutdown.unhandled_rejection', reason: reason instanceof Error ? reason.message : String(reason) });
  });
}
