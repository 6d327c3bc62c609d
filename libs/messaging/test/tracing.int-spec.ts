// Integration: one trace from an HTTP request through the outbox, the relay, a handler that publishes, and the next
// handler — W3C trace context carried in the outbox row and in AMQP headers, spans after the messaging conventions.
import type { Server } from 'node:http';
import { Body, Controller, Inject, Injectable, Post, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { IsString } from 'class-validator';
import { sql } from 'drizzle-orm';
import request from 'supertest';
import { MessageContext, MessageHandler, ConsumerSupervisor, MessagePublisher, MessagingModule } from '@app/messaging';
import { DATABASE, DatabaseModule, Outbox, type DatabaseHandle } from '@app/persistence';
import { CorrelationModule } from '@app/service-kit';
import { startInMemoryTracing, type InMemoryTracing } from '../../../test/support/in-memory-tracing';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { createTestVhost, eventually, type TestVhost } from '../../../test/support/test-broker';

class NoteWritten {
  static readonly messageType = 'note.written';
  static readonly schemaVersion = 1;
  @IsString() noteId!: string;
}

class NoteIndexed {
  static readonly messageType = 'note.indexed';
  static readonly schemaVersion = 1;
  @IsString() noteId!: string;
}

class WriteNoteRequest {
  @IsString() noteId!: string;
}

@Controller('notes')
class NotesController {
  constructor(
    @Inject(DATABASE) private readonly database: DatabaseHandle,
    private readonly outbox: Outbox,
  ) {}

  @Post()
  async write(@Body() body: WriteNoteRequest): Promise<{ messageId: string; correlationId: string }> {
    return this.database.db.transaction(async (tx) => {
      await tx.execute(sql`insert into notes (id) values (${body.noteId})`);
      return this.outbox.add(tx, NoteWritten, { noteId: body.noteId });
    });
  }
}

@Injectable()
class NoteHandlers {
  readonly indexed: Array<{ noteId: string; context: MessageContext }> = [];
  constructor(private readonly publisher: MessagePublisher) {}

  @MessageHandler(NoteWritten)
  async onWritten(message: NoteWritten): Promise<void> {
    await this.publisher.publish(NoteIndexed, { noteId: message.noteId });
  }

  @MessageHandler(NoteIndexed)
  onIndexed(message: NoteIndexed, context: MessageContext): void {
    this.indexed.push({ noteId: message.noteId, context });
  }
}

const SERVICE = 'traced';
const QUEUE_A = `${SERVICE}.${NoteWritten.messageType}`;
const QUEUE_B = `${SERVICE}.${NoteIndexed.messageType}`;
// The caller's trace: what an upstream service (or a browser with OTel) would send.
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${CALLER_SPAN_ID}-01`;

let tracing: InMemoryTracing;

function kindName(kind: SpanKind): string {
  return SpanKind[kind];
}

function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

/** "name [KIND] span=… parent=…" lines, indented under their parent. */
function spanTree(spans: ReadableSpan[]): string {
  const byParent = new Map<string | undefined, ReadableSpan[]>();
  const ids = new Set(spans.map((span) => span.spanContext().spanId));
  for (const span of spans) {
    const parent = parentOf(span);
    const key = parent && ids.has(parent) ? parent : undefined;
    byParent.set(key, [...(byParent.get(key) ?? []), span]);
  }
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    for (const span of (byParent.get(parent) ?? []).sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1])) {
      const { traceId, spanId } = span.spanContext();
      lines.push(
        `${'  '.repeat(depth)}${span.name} [${kindName(span.kind)}] trace=${traceId} span=${spanId} parent=${parentOf(span) ?? '-'}`,
      );
      walk(spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines.join('\n');
}

/** The server span ends when the response is sent; consumer A's after B's may have ended (it acks after publishing B). */
async function allSpansEnded(): Promise<void> {
  const ended = (kind: SpanKind, name?: string) =>
    tracing.exporter.getFinishedSpans().some((span) => span.kind === kind && (name === undefined || span.name === name));
  await eventually(
    () => ended(SpanKind.SERVER) && ended(SpanKind.CONSUMER, `process ${QUEUE_A}`) && ended(SpanKind.CONSUMER, `process ${QUEUE_B}`),
    'the server span and both consumer spans ended',
  );
}

describe('tracing across HTTP, outbox, relay and consumers', () => {
  let vhost: TestVhost;
  let testDb: TestDatabase;
  let app: INestApplication<Server>;
  let handlers: NoteHandlers;

  beforeAll(async () => {
    tracing = startInMemoryTracing();

    vhost = await createTestVhost('tracing');
    testDb = await createTestDatabase('tracing');
    const moduleRef = await Test.createTestingModule({
      imports: [
        DatabaseModule.forRoot({ serviceName: SERVICE, url: testDb.url, dataDir: testDb.dataDir, outbox: { pollIntervalMs: 20 } }),
        MessagingModule.forRoot({ url: vhost.url, serviceName: SERVICE, queueType: 'classic', delay: 'ladder' }),
        CorrelationModule,
      ],
      controllers: [NotesController],
      providers: [NoteHandlers],
    }).compile();
    app = moduleRef.createNestApplication<INestApplication<Server>>();
    await app.init();
    await app.get<DatabaseHandle>(DATABASE).db.execute(sql`create table notes (id text primary key)`);
    await app.get(ConsumerSupervisor).waitUntilReady();
    handlers = app.get(NoteHandlers);
  });

  afterAll(async () => {
    await app?.close();
    await vhost?.delete();
    await testDb?.drop();
    await tracing?.stop();
  });

  it("continues the caller's trace from the HTTP request to the handler of the message a handler published", async () => {
    tracing.exporter.reset();
    const response = await request(app.getHttpServer()).post('/notes').set('traceparent', TRACEPARENT).send({ noteId: 'n-1' }).expect(201);
    const { messageId: messageIdA, correlationId } = response.body as { messageId: string; correlationId: string };
    expect(response.headers['x-correlation-id']).toBe(correlationId);

    await eventually(() => handlers.indexed.some((seen) => seen.noteId === 'n-1'), 'note.indexed handled');
    await allSpansEnded();

    const spans = tracing.exporter.getFinishedSpans();
    if (process.env.E2E_DEBUG) console.log(`span tree:\n${spanTree(spans)}`);
    const one = (kind: SpanKind, name: string): ReadableSpan => {
      const found = spans.filter((span) => span.kind === kind && span.name === name);
      expect(found.map((span) => `${kindName(span.kind)} ${span.name}`)).toEqual([`${kindName(kind)} ${name}`]);
      return found[0];
    };
    const server = one(SpanKind.SERVER, 'POST /notes');
    const outboxAdd = one(SpanKind.INTERNAL, `outbox add ${NoteWritten.messageType}`);
    const consumerA = one(SpanKind.CONSUMER, `process ${QUEUE_A}`);
    const consumerBSpan = one(SpanKind.CONSUMER, `process ${QUEUE_B}`);
    // Both producer spans are named after the exchange; the routing key (= message type) tells them apart.
    const producers = spans.filter((span) => span.kind === SpanKind.PRODUCER);
    expect(producers.map((span) => span.name)).toEqual(['publish domain.events', 'publish domain.events']);
    const producerOf = (type: string) => producers.find((span) => span.attributes['messaging.rabbitmq.destination.routing_key'] === type)!;
    const producerA = producerOf(NoteWritten.messageType);
    const producerB = producerOf(NoteIndexed.messageType);

    const chain = [server, outboxAdd, producerA, consumerA, producerB, consumerBSpan];
    // One trace: the caller's.
    for (const span of chain) expect(span.spanContext().traceId).toBe(TRACE_ID);
    // Each span is the child of the one before it; the server span is the child of the caller's span.
    expect(parentOf(server)).toBe(CALLER_SPAN_ID);
    expect(server.parentSpanContext?.isRemote).toBe(true);
    for (let i = 1; i < chain.length; i++) {
      expect({ span: chain[i].name, parent: parentOf(chain[i]) }).toEqual({
        span: chain[i].name,
        parent: chain[i - 1].spanContext().spanId,
      });
    }

    expect(server.attributes).toMatchObject({ 'http.request.method': 'POST', 'url.path': '/notes', 'http.response.status_code': 201 });
    expect(outboxAdd.attributes['messaging.message.id']).toBe(messageIdA);

    const deliveredB = handlers.indexed.find((seen) => seen.noteId === 'n-1')!.context;
    const messageIdB = deliveredB.messageId;
    expect(deliveredB.correlationId).toBe(correlationId);
    // On the wire, B carries its producer span as the W3C parent.
    expect(deliveredB.headers.traceparent).toBe(`00-${TRACE_ID}-${producerB.spanContext().spanId}-01`);
    const expected: Array<[ReadableSpan, Record<string, unknown>]> = [
      [
        producerA,
        { 'messaging.operation.type': 'send', 'messaging.destination.name': 'domain.events', 'messaging.message.id': messageIdA },
      ],
      [
        consumerA,
        {
          'messaging.operation.type': 'process',
          'messaging.destination.name': QUEUE_A,
          'messaging.consumer.group.name': QUEUE_A,
          'messaging.message.id': messageIdA,
        },
      ],
      [
        producerB,
        { 'messaging.operation.type': 'send', 'messaging.destination.name': 'domain.events', 'messaging.message.id': messageIdB },
      ],
      [consumerBSpan, { 'messaging.operation.type': 'process', 'messaging.destination.name': QUEUE_B, 'messaging.message.id': messageIdB }],
    ];
    for (const [span, attributes] of expected) {
      expect(span.attributes).toMatchObject({
        'messaging.system': 'rabbitmq',
        'messaging.message.conversation_id': correlationId,
        ...attributes,
      });
      expect(span.attributes['messaging.message.body.size']).toBeGreaterThan(0);
    }
    for (const span of chain) expect(span.status.code).not.toBe(2 /* ERROR */);
  });

  it('starts a new trace for a request without traceparent, and still carries it to the consumer', async () => {
    tracing.exporter.reset();
    await request(app.getHttpServer()).post('/notes').send({ noteId: 'n-2' }).expect(201);
    await eventually(() => handlers.indexed.some((seen) => seen.noteId === 'n-2'), 'note.indexed handled');
    await allSpansEnded();

    const spans = tracing.exporter.getFinishedSpans();
    const server = spans.find((span) => span.kind === SpanKind.SERVER)!;
    expect(parentOf(server)).toBeUndefined();
    expect(server.spanContext().traceId).not.toBe(TRACE_ID);
    expect(new Set(spans.map((span) => span.spanContext().traceId))).toEqual(new Set([server.spanContext().traceId]));
  });
});
