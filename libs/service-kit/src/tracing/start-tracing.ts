// Starts OpenTelemetry for a service. Call it before Nest (and http, express) are loaded: apps import
// `./tracing` as the first line of main.ts. Spans are exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set;
// otherwise they still carry trace ids into logs and AMQP headers, and go nowhere.
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, NoopSpanProcessor } from '@opentelemetry/sdk-trace';
import { ConfigError, envString, envUrl, urlProblem, type Env, type UrlForm } from '@app/messaging-core';

export interface TracingOptions {
  serviceName: string;
  /** http:// or https:// base URL of an OTLP/HTTP receiver (traces go to <endpoint>/v1/traces). Default OTEL_EXPORTER_OTLP_ENDPOINT; unset = no export. */
  otlpEndpoint?: string;
}

/** What OTEL_EXPORTER_OTLP_ENDPOINT and the otlpEndpoint option accept. */
export const OTLP_ENDPOINT_FORM: UrlForm = { schemes: ['http:', 'https:'], example: 'http://otel-collector:4318' };

/** Where spans go and the service name they carry; throws a ConfigError naming the option or the variable. */
export function resolveTracing(options: TracingOptions, env: Env = process.env): { endpoint?: string; serviceName: string } {
  if (options.otlpEndpoint !== undefined) {
    const problem = urlProblem(options.otlpEndpoint, OTLP_ENDPOINT_FORM);
    if (problem) throw new ConfigError(`Invalid tracing option "otlpEndpoint": "${options.otlpEndpoint}" ${problem}`);
  }
  return {
    endpoint: options.otlpEndpoint ?? envUrl(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', OTLP_ENDPOINT_FORM),
    serviceName: envString(env, 'OTEL_SERVICE_NAME') ?? options.serviceName,
  };
}

export function startTracing(options: TracingOptions): NodeSDK {
  const { endpoint, serviceName } = resolveTracing(options);
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    // Always one processor: with none the SDK would not trace at all (no ids in logs, no context in headers), and
    // without an explicit list it would export to an OTLP endpoint on localhost by itself.
    spanProcessors: [
      endpoint
        ? new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, '')}/v1/traces` }) })
        : new NoopSpanProcessor(),
    ],
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => /^\/(health|metrics)/.test(request.url ?? '') }),
      new ExpressInstrumentation(),
    ],
  });
  sdk.start();
  return sdk;
}
