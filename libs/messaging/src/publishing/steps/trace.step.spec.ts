// Protects the publish span: PRODUCER for the broker, INTERNAL for the outbox, and the traceparent the message carries.
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { startInMemoryTracing, type InMemoryTracing } from '../../../../../test/support/in-memory-tracing';
import { envelopeMessage } from '../outgoing-message';
import { Publication, type PublishDestination } from '../publication';
import { PublishTraceStep } from './trace.step';

class OrderPlaced {
  static readonly messageType = 'order.placed';
  static readonly schemaVersion = 1;
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const OUTBOX_SPAN_ID = '00f067aa0ba902b7';

/** A publication past the correlation step, on its way to `destination`. */
function ready(destination: PublishDestination, headers: Record<string, string> = {}): Publication {
  const publication = new Publication(OrderPlaced, { orderId: 'o-1' }, {}, destination);
  publication.message = { orderId: 'o-1' };
  publication.outgoing = envelopeMessage(OrderPlaced, publication.message, 'domain.events', 'orders', { messageId: 'm-1', headers });
  publication.outgoing.properties.correlationId = 'c-42';
  return publication;
}

describe('PublishTraceStep without an OpenTelemetry SDK', () => {
  it('sends without writing a trace context into the headers', async () => {
    const publication = ready('broker');
    const next = jest.fn(async (): Promise<void> => undefined);

    await new PublishTraceStep().handle(publication, next);

    expect(next).toHaveBeenCalledTimes(1);
    expect(publication.wire.properties.headers).not.toHaveProperty('traceparent');
  });
});

describe('PublishTraceStep with an OpenTelemetry SDK', () => {
  let tracing: InMemoryTracing;

  beforeAll(() => {
    tracing = startInMemoryTracing();
  });

  beforeEach(() => tracing.exporter.reset());

  afterAll(async () => {
    await tracing.stop();
  });

  it('sends to the broker inside a PRODUCER span whose context the message carries as traceparent', async () => {
    const publication = ready('broker');
    let activeDuringSend: string | undefined;

    await new PublishTraceStep().handle(publication, async () => {
      activeDuringSend = trace.getActiveSpan()?.spanContext().spanId;
    });

    const spans = tracing.exporter.getFinishedSpans();
    expect(spans).toHaveLength(1);
    const [span] = spans;
    const { traceId, spanId } = span.spanContext();
    expect(span.name).toBe('publish domain.events');
    expect(span.kind).toBe(SpanKind.PRODUCER);
    expect(span.attributes).toMatchObject({
      'messaging.system': 'rabbitmq',
      'messaging.destination.name': 'domain.events',
      'messaging.rabbitmq.destination.routing_key': 'order.placed',
      'messaging.message.id': 'm-1',
      'messaging.message.conversation_id': 'c-42',
    });
    expect(publication.wire.properties.headers.traceparent).toBe(`00-${traceId}-${spanId}-01`);
    expect(activeDuringSend).toBe(spanId);
  });

  it('makes the trace context an outbox row carries the parent of the PRODUCER span', async () => {
    const publication = ready('broker', { traceparent: `00-${TRACE_ID}-${OUTBOX_SPAN_ID}-01` });

    await new PublishTraceStep().handle(publication, async () => undefined);

    const [span] = tracing.exporter.getFinishedSpans();
    expect(span.spanContext().traceId).toBe(TRACE_ID);
    expect(span.parentSpanContext?.spanId).toBe(OUTBOX_SPAN_ID);
    expect(publication.wire.properties.headers.traceparent).toBe(`00-${TRACE_ID}-${span.spanContext().spanId}-01`);
  });

  it("marks the PRODUCER span as failed when the send fails, and rejects with the send's error", async () => {
    const refused = new Error('not confirmed');

    await expect(new PublishTraceStep().handle(ready('broker'), () => Promise.reject(refused))).rejects.toBe(refused);

    const [span] = tracing.exporter.getFinishedSpans();
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'not confirmed' });
  });

  it("writes to the outbox inside an INTERNAL span 'outbox add <type>', and the row carries its context as traceparent", async () => {
    const publication = ready('outbox');
    let headersDuringWrite: Record<string, unknown> | undefined;

    await new PublishTraceStep().handle(publication, async () => {
      headersDuringWrite = { ...publication.wire.properties.headers };
    });

    const spans = tracing.exporter.getFinishedSpans();
    expect(spans).toHaveLength(1);
    const [span] = spans;
    expect(span.name).toBe('outbox add order.placed');
    expect(span.kind).toBe(SpanKind.INTERNAL);
    expect(span.attributes).toMatchObject({ 'messaging.message.id': 'm-1' });
    // Written before the row is: the row stores the headers as they are then.
    expect(headersDuringWrite?.traceparent).toBe(`00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
  });
});
