// Public API of the service kit: what a service needs around its messaging (logs, metrics, health, correlation,
// the admin API and console, the state of circuit breakers, graceful shutdown, a start that stops on a configuration
// error with one line), each an explicit module, and ServiceKitModule to import them together. Tracing (and the .env file) has its own light entry point:
// @app/service-kit/tracing.
export { ServiceKitModule, type ServiceKitOptions } from './service-kit.module';
export {
  LOG_FORMATS,
  LOG_LEVELS,
  LoggingModule,
  loggerParams,
  resolveLogging,
  type LogFormat,
  type LoggingOptions,
  type LogLevel,
} from './logging/logging.module';
export { MetricsModule } from './metrics/metrics.module';
export { MessagingMetrics } from './metrics/messaging-metrics';
export { HealthModule } from './health/health.module';
export { Readiness } from './health/readiness';
export { CorrelationModule } from './correlation/correlation.module';
export { CorrelationIdMiddleware, CORRELATION_HTTP_HEADER } from './correlation/correlation-id.middleware';
export { InputLimitsModule, resolveHttpInputLimits, type InputLimitsOptions } from './input-limits/input-limits.module';
export { InputLimitsMiddleware, inputLimitResponse } from './input-limits/input-limits.middleware';
export { OutageModule, resolveOutageOptions } from './outage/outage.module';
export { DependencyOutageFilter, type OutageOptions, type OutageResponseBody } from './outage/dependency-outage.filter';
export { AdminModule, resolveAdminOptions } from './admin/admin.module';
export { AdminTokenGuard, type AdminOptions } from './admin/admin-token.guard';
export { DeadLetterAdminController } from './admin/dead-letter-admin.controller';
export { SagaAdminController } from './admin/saga-admin.controller';
export { ConsoleApiController } from './admin/console/console-api.controller';
export { ConsoleController } from './admin/console/console.controller';
export { CircuitsModule } from './circuits/circuits.module';
export { CIRCUIT_STATES, CircuitRegistry, type CircuitHandle, type CircuitReport, type CircuitState } from './circuits/circuit-registry';
export { loadEnvFile, type LoadEnvFileOptions } from './config/load-env-file';
export { exitOnConfigError, exitWithConfigError, PROCESS_EXIT_IO, type ExitIo } from './lifecycle/exit-on-config-error';
export { RUN_SERVICE_OPTIONS, runService } from './lifecycle/run-service';
export { enableGracefulShutdown, shutdownTrigger, type GracefulShutdownOptions, type ShutdownTrigger } from './lifecycle/graceful-shutdown';
