// SIGTERM/SIGINT handling for a service: close the application (readiness off, consumers drained, outbox batch
// finished, HTTP server and connections closed) and exit 0; exit 1 if that fails or takes too long. A second signal
// exits at once.
import type { Server, ServerResponse } from 'node:http';
import { Logger, type INestApplicationContext } from '@nestjs/common';

export interface GracefulShutdownOptions {
  /** Upper bound of the whole close. Default 30000 ms (keep it under the orchestrator's grace period). */
  timeoutMs?: number;
  signals?: NodeJS.Signals[];
  /** For tests: what to do instead of process.exit. */
  exit?: (code: number) => void;
}

/** What a signal starts; `enableGracefulShutdown` wires it to the process. */
export interface ShutdownTrigger {
  (signal: NodeJS.Signals): void;
  /** True from the first signal on. */
  readonly closing: boolean;
}

export function enableGracefulShutdown(app: INestApplicationContext, options: GracefulShutdownOptions = {}): void {
  const { signals = ['SIGTERM', 'SIGINT'] } = options;
  const logger = new Logger('Lifecycle');
  const shutdown = shutdownTrigger(app, options);
  for (const signal of signals) process.on(signal, shutdown);
  // While closing, a broker call cut short by its channel closing is expected, not a reason to exit 1 halfway through
  // the drain. Outside shutdown an unhandled rejection still ends the process, as Node does by default.
  process.on('unhandledRejection', (reason) => {
    if (!shutdown.closing) throw reason;
    logger.warn({ event: 'shutdown.unhandled_rejection', reason: reason instanceof Error ? reason.message : String(reason) });
  });
}

/** The shutdown of `app` as a function of the signal, without touching the process (tests call it directly). */
export function shutdownTrigger(app: INestApplicationContext, options: GracefulShutdownOptions = {}): ShutdownTrigger {
  const logger = new Logger('Lifecycle');
  const { timeoutMs = 30_000, exit = (code: number) => process.exit(code) } = options;
  let closing = false;
  const trigger = (signal: NodeJS.Signals): void => {
    if (closing) {
      logger.warn({ event: 'shutdown.forced', signal });
      exit(1);
      return;
    }
    closing = true;
    logger.log({ event: 'shutdown.started', signal });
    closeConnectionsAfterEachResponse(app);
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
  return Object.defineProperty(trigger, 'closing', { get: () => closing }) as ShutdownTrigger;
}

/**
 * From the signal on, every HTTP response ends its connection (`Connection: close`). `app.close()` closes the HTTP
 * server, which waits for every open connection to end, and Node closes only the idle ones: a keep-alive client whose
 * request is in flight at that moment (a load balancer, a health prober, a client polling) would otherwise keep the
 * connection busy with its next request, and the next, holding the process until the timeout ends it with exit 1.
 * Requests are still served while the consumers drain; each just gets its own connection.
 */
function closeConnectionsAfterEachResponse(app: INestApplicationContext): void {
  const server = httpServerOf(app);
  server?.prependListener('request', (_request, response: ServerResponse) => {
    if (!response.headersSent) response.setHeader('Connection', 'close');
  });
}

function httpServerOf(app: INestApplicationContext): Server | undefined {
  const getHttpServer = (app as { getHttpServer?: () => unknown }).getHttpServer;
  if (typeof getHttpServer !== 'function') return undefined;
  const server = getHttpServer.call(app) as Partial<Server> | undefined;
  return typeof server?.prependListener === 'function' ? (server as Server) : undefined;
}
