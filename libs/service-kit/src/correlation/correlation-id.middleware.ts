// HTTP side of correlation: takes X-Correlation-Id from the request (or makes one) and returns it in the response.
// Where no HTTP instrumentation has started a server span, it starts one from the request's traceparent, so that
// what the request publishes belongs to the caller's trace.
import { Injectable, NestMiddleware } from '@nestjs/common';
import { context, SpanKind, trace } from '@opentelemetry/api';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { acceptCorrelationId, extractTraceContext, newCorrelationId, runWithCorrelation } from '@app/messaging';

const tracer = trace.getTracer('@app/messaging');

export const CORRELATION_HTTP_HEADER = 'x-correlation-id';

@Injectable()
export class CorrelationIdMiddleware implements NestMiddleware {
  use(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void {
    const correlationId = acceptCorrelationId(req.headers[CORRELATION_HTTP_HEADER]) ?? newCorrelationId();
    res.setHeader('X-Correlation-Id', correlationId);
    if (trace.getActiveSpan()) {
      runWithCorrelation({ correlationId }, () => next());
      return;
    }
    const parent = extractTraceContext(req.headers, context.active());
    const span = tracer.startSpan(
      `${req.method ?? 'HTTP'} ${(req.url ?? '').split('?')[0]}`,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': req.method ?? '', 'url.path': (req.url ?? '').split('?')[0] },
      },
      parent,
    );
    res.once('finish', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      span.end();
    });
    context.with(trace.setSpan(parent, span), () => runWithCorrelation({ correlationId }, () => next()));
  }
}
