// Second, light entry point of the service kit: `import { startTracing } from '@app/service-kit/tracing'` loads only
// OpenTelemetry, so that it can run before Nest, http and express are loaded.
export { startTracing, type TracingOptions } from './tracing/start-tracing';
