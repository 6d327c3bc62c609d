// Second, light entry point of the service kit: what a service's tracing.ts runs before Nest, http and express are
// loaded. `import { ... } from '@app/service-kit/tracing'` loads OpenTelemetry and the light messaging library only.
export { OTLP_ENDPOINT_FORM, resolveTracing, startTracing, type TracingOptions } from './tracing/start-tracing';
export { loadEnvFile, type LoadEnvFileOptions } from './config/load-env-file';
export { exitOnConfigError, exitWithConfigError, PROCESS_EXIT_IO, type ExitIo } from './lifecycle/exit-on-config-error';
