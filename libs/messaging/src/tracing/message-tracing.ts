// W3C trace context through AMQP headers, and spans named and attributed after the OpenTelemetry messaging
// conventions. Without an SDK registered every call here is a cheap no-op.
import { context, propagation, ProxyTracerProvider, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import type { ConsumeMessage } from 'amqplib';
import type { OutgoingMessage } from '../publishing/outgoing-message';
import { MessageHeaders } from '../topology/topology-names';

const tracer = trace.getTracer('@app/messaging');

/** What the global provider delegates to while no SDK has registered one. */
const NO_PROVIDER = new ProxyTracerProvider().getDelegate();

/** False until an OpenTelemetry SDK registers a tracer provider: spans would then be no-ops, so they are skipped. */
function isTracing(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegate() !== NO_PROVIDER;
}

// Messaging semantic-convention attribute names (kept here: the incubating constants may still change).
const ATTR = {
  system: 'messaging.system',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  destination: 'messaging.destination.name',
  routingKey: 'messaging.rabbitmq.destination.routing_key',
  messageId: 'messaging.message.id',
  conversationId: 'messaging.message.conversation_id',
  bodySize: 'messaging.message.body.size',
  consumerGroup: 'messaging.consumer.group.name',
} as const;

type Headers = Record<string, unknown>;

const headerSetter = {
  set(carrier: Headers, key: string, value: string) {
    carrier[key] = value;
  },
};

const headerGetter = {
  get(carrier: Headers, key: string): string | undefined {
    const value = carrier[key];
    return typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : undefined;
  },
  keys(carrier: Headers): string[] {
    return Object.keys(carrier);
  },
};

/** Writes the current trace context into `headers` (traceparent, tracestate). */
export function injectTraceContext(headers: Headers, from: Context = context.active()): void {
  propagation.inject(from, headers, headerSetter);
}

/** The trace context carried by `headers`, on top of `base`. */
export function extractTraceContext(headers: Headers | undefined, base: Context = context.active()): Context {
  return propagation.extract(base, headers ?? {}, headerGetter);
}

/**
 * Runs `send` in a PRODUCER span for `message`, whose context the message then carries. A message that already
 * carries a trace context (written by outbox.add in the business transaction) makes that its parent.
 */
export function tracePublish<T>(message: OutgoingMessage, send: () => Promise<T>): Promise<T> {
  if (!isTracing()) return send();
  const headers = message.properties.headers;
  const parent = headers[MessageHeaders.traceparent] ? extractTraceContext(headers) : context.active();
  const span = tracer.startSpan(
    `publish ${message.exchange || '(default)'}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        [ATTR.system]: 'rabbitmq',
        [ATTR.operationType]: 'send',
        [ATTR.operationName]: 'publish',
        [ATTR.destination]: message.exchange,
        [ATTR.routingKey]: message.routingKey,
        [ATTR.messageId]: message.properties.messageId,
        [ATTR.conversationId]: String(message.properties.correlationId ?? ''),
        [ATTR.bodySize]: message.content.length,
      },
    },
    parent,
  );
  const spanContext = trace.setSpan(parent, span);
  injectTraceContext(headers, spanContext);
  return endAfterAsync(span, () => context.with(spanContext, send));
}

/** Runs the handling of `raw` in a CONSUMER span, child of the context the message carries. */
export function traceConsume<T>(raw: ConsumeMessage, queue: string, correlationId: string, handle: () => T | Promise<T>): T | Promise<T> {
  if (!isTracing()) return handle();
  const parent = extractTraceContext(raw.properties.headers, context.active());
  const span = tracer.startSpan(
    `process ${queue}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        [ATTR.system]: 'rabbitmq',
        [ATTR.operationType]: 'process',
        [ATTR.operationName]: 'process',
        [ATTR.destination]: queue,
        [ATTR.consumerGroup]: queue,
        [ATTR.routingKey]: raw.fields.routingKey,
        [ATTR.messageId]: String(raw.properties.messageId ?? ''),
        [ATTR.conversationId]: correlationId,
        [ATTR.bodySize]: raw.content.length,
      },
    },
    parent,
  );
  return endAfter(span, () => context.with(trace.setSpan(parent, span), handle));
}

/** An INTERNAL span around `work` (a handler, an outbox write), child of the active span. */
export function traceInternal<T>(name: string, attributes: Record<string, string | number>, work: () => Promise<T>): Promise<T> {
  if (!isTracing()) return work();
  const span = tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes });
  return endAfterAsync(span, () => context.with(trace.setSpan(context.active(), span), work));
}

/** Marks the active span (if any) as failed with `error`, without ending it. */
export function recordSpanError(error: unknown): void {
  const span = trace.getActiveSpan();
  if (!span) return;
  markFailed(span, error);
}

/** Records `error` on `span` as its failure; an error that cannot be read is recorded as such rather than thrown on. */
function markFailed(span: Span, error: unknown): void {
  try {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  } catch {
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'the error could not be described' });
  }
}

/** Trace and span ids of the active span, for log lines. */
export function activeTraceIds(): { traceId?: string; spanId?: string } {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return {};
  return { traceId: spanContext.traceId, spanId: spanContext.spanId };
}

/**
 * Ends `span` when `work` is done (failed with its error, if any), synchronously when `work` is: a delivery handled
 * without waiting on anything then makes no promise for the span (one per message on the consume path). Ended from
 * the work's own promise rather than in an async wrapper: one promise per span, not three.
 */
function endAfter<T>(span: Span, work: () => T | Promise<T>): T | Promise<T> {
  let result: T | Promise<T>;
  try {
    result = work();
  } catch (error) {
    endFailed(span, error);
    throw error;
  }
  if (!(result instanceof Promise)) {
    span.end();
    return result;
  }
  return result.then(
    (value) => {
      span.end();
      return value;
    },
    (error: unknown) => {
      endFailed(span, error);
      throw error;
    },
  );
}

function endFailed(span: Span, error: unknown): void {
  markFailed(span, error);
  span.end();
}

/** endAfter for asynchronous work: what `work` throws at once rejects the promise, as an async function would. */
function endAfterAsync<T>(span: Span, work: () => Promise<T>): Promise<T> {
  try {
    return endAfter(span, work) as Promise<T>;
  } catch (error) {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- rejects with what was thrown, as an async function would
    return Promise.reject(error);
  }
}
