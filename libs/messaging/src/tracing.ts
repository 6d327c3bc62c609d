// Second, light entry point of the library: `import { startTracing } from '@app/messaging/tracing'` loads only
// OpenTelemetry, so that it can run before Nest, http and express are loaded.
export { startTracing, type TracingOptions } from './telemetry/tracing';
