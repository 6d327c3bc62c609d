// Bench: what a service runs besides the library, for the library's workers (issue 20's targets are measured with it
// on). Import it first, as a service's main.ts imports its tracing.ts: OpenTelemetry's SDK registered with no exporter
// (spans made, then dropped by the no-op processor: what startTracing does without OTEL_EXPORTER_OTLP_ENDPOINT), and
// `benchLogging()` for the worker's module: pino at info through LoggingModule, to /dev/null. BENCH_FEATURES=off leaves
// both out, for a comparison with the bare library; `tracing` or `logging` keeps only that one.
//   BENCH_FEATURES=on|off|tracing|logging (default on), BENCH_LOG_LEVEL (default info), BENCH_LOG_FILE (default /dev/null)
import type { DynamicModule } from '@nestjs/common';
import { startTracing } from '@app/service-kit/tracing';
import type { LoggingModule as LoggingModuleClass, LogLevel } from '@app/service-kit';
import type { Logger as PinoNestLogger } from 'nestjs-pino';
import type pinoModule from 'pino';
import { BENCH_SERVICE } from './bench-message';

const features = process.env.BENCH_FEATURES ?? 'on';
const TRACING_ON = features === 'on' || features === 'tracing';
const LOGGING_ON = features === 'on' || features === 'logging';

if (TRACING_ON) {
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT; // nothing leaves this machine: spans are made and dropped
  startTracing({ serviceName: BENCH_SERVICE });
}

/** LoggingModule as a service imports it (level info), writing synchronously to /dev/null; none with features off. */
export function benchLogging(): DynamicModule[] {
  if (!LOGGING_ON) return [];
  // Required here, not imported above: this file runs before Nest is loaded, as a service's tracing.ts does.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { LoggingModule } = require('@app/service-kit') as { LoggingModule: typeof LoggingModuleClass };
  const pino = require('pino') as typeof pinoModule;
  /* eslint-enable @typescript-eslint/no-require-imports */
  return [
    LoggingModule.forRoot({
      serviceName: BENCH_SERVICE,
      level: (process.env.BENCH_LOG_LEVEL ?? 'info') as LogLevel,
      format: 'json',
      destination: pino.destination({ dest: process.env.BENCH_LOG_FILE ?? '/dev/null', sync: true }),
    }),
  ];
}

/** Application options: Nest's logger replaced by pino once the app exists (see useBenchLogger), or off. */
export const APP_OPTIONS = LOGGING_ON ? { bufferLogs: true } : { logger: false as const };

/** Routes Nest's own logger through pino, as a service's main.ts does. */
export function useBenchLogger(app: { useLogger(logger: unknown): void; get(token: unknown): unknown }): void {
  if (!LOGGING_ON) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when logging is on
  const { Logger } = require('nestjs-pino') as { Logger: typeof PinoNestLogger };
  app.useLogger(app.get(Logger));
}
