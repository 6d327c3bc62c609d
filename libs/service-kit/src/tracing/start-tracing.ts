// Starts OpenTelemetry for a service. Call it before Nest (and http, express) are loaded: apps import
// `./tracing` as the first line of main.ts. Spans are exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set;
// otherwise they still carry trace ids into logs and AMQP headers, and go nowhere.
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, NoopSpanProcessor } from '@opentelemetry/sdk-trace';

export interface TracingOptions {
  serviceName: string;
  /** Default OTEL_EXPORTER_OTLP_ENDPOINT; unset = no export. */
  otlpEndpoint?: string;
}

export function startTracing(options: TracingOptions): NodeSDK {
  const endpoint = options.otlpEndpoint ?? (process.env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined);
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ 'service.name': process.env.OTEL_SERVICE_NAME ?? options.serviceName }),
    // Always one processor: with none the SDK would not trace at all (no ids in logs, no context in headers), and
    // without an explicit list it would export to an OTLP endpoint on localhost by itself.
    spanProcessors: [endpoint ? new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, '')}/v1/traces` }) }) : new NoopSpanProcessor()],
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => /^\/(health|metrics)/.test(request.url ?? '') }),
      new ExpressInstrumentation(),
    ],
  });
  sdk.start();
  return sdk;
}
