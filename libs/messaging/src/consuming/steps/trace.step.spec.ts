// Protects the consumer span: none and no cost without an SDK; with one, `process <queue>` under the message's trace.
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { deliveryOf, handlerFor, rawDelivery } from '../../../../../test/support/deliveries';
import { startInMemoryTracing, type InMemoryTracing } from '../../../../../test/support/in-memory-tracing';
import { recordSpanError } from '../../tracing/message-tracing';
import { TraceStep } from './trace.step';

class OrderPlaced {
  static readonly messageType = 'order.placed';
  static readonly schemaVersion = 1;
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PRODUCER_SPAN_ID = '00f067aa0ba902b7';

function tracedDelivery() {
  const raw = rawDelivery(OrderPlaced.messageType, {
    headers: { traceparent: `00-${TRACE_ID}-${PRODUCER_SPAN_ID}-01`, 'x-correlation-id': 'c-42' },
  });
  return deliveryOf(handlerFor(OrderPlaced), raw);
}

describe('TraceStep without an OpenTelemetry SDK', () => {
  it("returns the rest's result as it is: nothing for a synchronous rest, the same promise for an asynchronous one", () => {
    const step = new TraceStep();
    const rest = Promise.resolve();

    expect(step.handle(tracedDelivery(), () => undefined)).toBeUndefined();
    expect(step.handle(tracedDelivery(), () => rest)).toBe(rest);
  });
});

describe('TraceStep with an OpenTelemetry SDK', () => {
  let tracing: InMemoryTracing;

  beforeAll(() => {
    tracing = startInMemoryTracing();
  });

  beforeEach(() => tracing.exporter.reset());

  afterAll(async () => {
    await tracing.stop();
  });

  it("runs the rest in a CONSUMER span 'process <queue>', child of the message's traceparent", async () => {
    const step = new TraceStep();
    let activeInside: string | undefined;

    await step.handle(tracedDelivery(), () => {
      activeInside = trace.getActiveSpan()?.spanContext().spanId;
    });

    const [span] = tracing.exporter.getFinishedSpans();
    expect(tracing.exporter.getFinishedSpans()).toHaveLength(1);
    expect(span.name).toBe('process test.order.placed');
    expect(span.kind).toBe(SpanKind.CONSUMER);
    expect(span.spanContext().traceId).toBe(TRACE_ID);
    expect(span.parentSpanContext?.spanId).toBe(PRODUCER_SPAN_ID);
    expect(span.attributes).toMatchObject({
      'messaging.destination.name': 'test.order.placed',
      'messaging.message.id': 'm-1',
      'messaging.message.conversation_id': 'c-42',
    });
    expect(activeInside).toBe(span.spanContext().spanId);
  });

  it('ends the span only once an asynchronous rest has settled', async () => {
    const step = new TraceStep();
    let finish!: () => void;

    const result = step.handle(tracedDelivery(), () => new Promise<void>((resolve) => (finish = resolve)));
    await Promise.resolve();
    expect(tracing.exporter.getFinishedSpans()).toHaveLength(0);
    finish();
    await result;

    expect(tracing.exporter.getFinishedSpans()).toHaveLength(1);
  });

  it('marks the span as failed when the outcome step recorded an error inside it', async () => {
    const step = new TraceStep();

    await step.handle(tracedDelivery(), () => recordSpanError(new Error('customer was deleted')));

    const [span] = tracing.exporter.getFinishedSpans();
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'customer was deleted' });
    expect(span.events.map((event) => event.name)).toEqual(['exception']);
  });

  it('leaves the status unset when nothing failed', async () => {
    const step = new TraceStep();

    await step.handle(tracedDelivery(), () => undefined);

    expect(tracing.exporter.getFinishedSpans()[0].status.code).toBe(SpanStatusCode.UNSET);
  });
});
