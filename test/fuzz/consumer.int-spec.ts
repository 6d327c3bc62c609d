// Fuzzing a consumer: generated raw deliveries published with amqplib straight to the events exchange (bodies, content
// types, encodings, message ids, the headers the library owns), to a handler of OrderCreated (nested classes, an
// e-mail field) in a vhost of its own. Every valid message is handled exactly once; every poison message is dead-lettered
// exactly once with a reason, and its fault event (bounded) is published and accepted; each delivery is settled once;
// the consumer stays up and its heap does not grow. FUZZ_SEED replays a run; npm run fuzz runs the long profile.
import { Global, Injectable, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { ChannelModel, ConfirmChannel, Options } from 'amqplib';
import fc, { type Arbitrary } from 'fast-check';
import { OrderCreated } from '@app/contracts';
import {
  ConsumerSupervisor,
  Fault,
  faultOf,
  Idempotent,
  MESSAGING_INSTRUMENTATION,
  MessageContext,
  MessageHandler,
  MessagingModule,
  type ConsumeOutcome,
  type MessagingInstrumentation,
} from '@app/messaging';
import { createTestVhost, eventually, type TestVhost } from '../support/test-broker';
import { fuzzParameters, fuzzSettings, heapUsedMiB, OutcomeTable, printTable } from './fuzz-run';
import {
  anyText,
  breakField,
  hostileText,
  nestedJson,
  notUuid,
  orderCreated,
  reservedKey,
  withRawField,
  type OrderCreatedBody,
} from './hostile-input';

const SERVICE = 'fuzz';
const QUEUE = `${SERVICE}.order.created`;
const DLQ = `${QUEUE}.dlq`;
const FAULT_QUEUE = `${SERVICE}.fault.order.created`;
const MAX_MESSAGE_BYTES = 128 * 1024;

/** What must become of a generated delivery. */
type Fate = 'handled' | 'dead-lettered';

interface DeliveryCase {
  inputClass: string;
  fate: Fate;
  body: string | Buffer;
  properties: Options.Publish;
  /** For a dead letter: what its reason must say. */
  reason?: RegExp;
  /** Published twice with the same message id: handled once all the same. */
  twice?: boolean;
  /** The order id a fault must still name when the body is too big to carry. */
  excerptOrderId?: string;
  /** Appended to the case's key to make its message id (ids stay unique across cases). */
  messageIdSuffix?: string;
}

// ---- generators -------------------------------------------------------------------------------------------------

const body = (value: unknown): string => JSON.stringify(value);

function valid(inputClass: string, order: OrderCreatedBody, properties: Options.Publish = {}): DeliveryCase {
  return { inputClass, fate: 'handled', body: body(order), properties };
}

function poison(inputClass: string, content: string | Buffer, reason: RegExp, properties: Options.Publish = {}): DeliveryCase {
  return { inputClass, fate: 'dead-lettered', body: content, properties, reason };
}

const isJson = (text: string): boolean => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

/** What the consumer must make of an owned header's value (the rules of owned-headers.ts and the envelope step). */
function headerFate(name: string, value: unknown): { fate: Fate; reason?: RegExp } {
  const whole =
    typeof value === 'number'
      ? Number.isSafeInteger(value)
        ? value
        : undefined
      : typeof value === 'string' && /^\d{1,15}$/.test(value)
        ? Number(value)
        : undefined;
  const ranges: Record<string, [number, number]> = {
    'x-attempts': [0, 1000],
    'x-delivery-count': [0, Number.MAX_SAFE_INTEGER],
    'x-schema-version': [1, 2_147_483_647],
  };
  const [min, max] = ranges[name];
  if (whole === undefined || whole < min || whole > max)
    return { fate: 'dead-lettered', reason: new RegExp(`cannot be believed: header ${name} is`) };
  if (name === 'x-schema-version' && whole > OrderCreated.schemaVersion)
    return { fate: 'dead-lettered', reason: /newer than the 1 this handler knows/ };
  return { fate: 'handled' };
}

const headerValue: Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: -5, max: 1200 }),
  fc.constantFrom(0, 1, 2, 999, 1000, 1001, -1, 1.5, 2 ** 40, '1', '2', '007', 'abc', '-1', '', ' 1', '1e3', true, null),
  // Within what amqplib can encode (a whole double past 2^63 has no AMQP type).
  fc.double({ min: -1e15, max: 1e15, noNaN: true }),
  fc.string({ maxLength: 8 }),
  fc.array(fc.nat(3), { maxLength: 2 }),
);

const deliveryCase: Arbitrary<DeliveryCase> = fc.oneof(
  { weight: 6, arbitrary: orderCreated.map((order) => valid('valid', order)) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        orderCreated,
        fc.constantFrom(undefined, 'application/json; charset=utf-8', 'application/vnd.shop.v1+json', 'APPLICATION/JSON'),
      )
      .map(([order, contentType]) => valid('valid-content-type', order, { contentType })),
  },
  { weight: 2, arbitrary: orderCreated.map((order) => ({ ...valid('duplicate', order), twice: true })) },
  {
    weight: 4,
    arbitrary: orderCreated
      .chain(
        breakField<OrderCreatedBody>({
          orderId: notUuid,
          customerId: notUuid,
          email: fc.oneof(
            fc.string({ maxLength: 20 }).filter((text) => !text.includes('@')),
            hostileText,
          ),
          currency: fc.constantFrom('eur', 'XYZ', '', 12),
          items: fc.oneof(fc.constant([]), fc.constant('BOOK-1')),
          total: fc.oneof(fc.double(), fc.constantFrom('1.5', '-1.00', '1e3')),
          placedAt: fc.constantFrom('yesterday', '2026-13-01T00:00:00Z', '2026-01-01T00:00:00'),
          notification: fc.constantFrom(null, { kind: 'pigeon' }, { kind: 'email', address: 'nope' }, []),
        }),
      )
      .map((broken) => poison('invalid-field', body(broken), /is invalid|must|not well-formed Unicode/)),
  },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
        anyText(60).map((text) => Buffer.from(text, 'utf8')),
        orderCreated.chain((order) => fc.nat(80).map((cut) => Buffer.from(body(order).slice(0, cut), 'utf8'))),
      )
      // As the consumer reads it: UTF-8.
      .filter((bytes) => !isJson(bytes.toString('utf8')))
      .map((bytes) => poison('not-json', bytes, /not valid JSON/)),
  },
  {
    weight: 1,
    arbitrary: fc
      .oneof(fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }), fc.string(), fc.integer(), fc.constant(null), fc.boolean())
      .map((value) => poison('not-an-object', body(value), /must be a JSON object/)),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        orderCreated,
        fc.oneof(
          fc.constantFrom('text/plain', 'application/xml', 'application/octet-stream', 'application/jsonx', 'json'),
          fc.stringMatching(/^[a-z]{1,8}\/[a-z]{1,8}$/).filter((type) => !/json$/.test(type)),
        ),
      )
      .map(([order, contentType]) => poison('content-type', body(order), /Unsupported content type/, { contentType })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        orderCreated,
        fc.oneof(
          fc.constantFrom('gzip', 'deflate', 'br', 'base64', 'utf-16'),
          fc.stringMatching(/^[a-z0-9-]{1,10}$/).filter((e) => !/^(utf-?8|identity)$/i.test(e)),
        ),
      )
      .map(([order, contentEncoding]) => poison('content-encoding', body(order), /Unsupported content encoding/, { contentEncoding })),
  },
  {
    weight: 3,
    arbitrary: fc
      // Up to 50000 levels of arrays, 20000 of objects: under maxMessageBytes, so that depth is what refuses them.
      .tuple(orderCreated, fc.integer({ min: 32, max: 50_000 }), fc.constantFrom<'array' | 'object'>('array', 'object'), fc.boolean())
      .map(([order, depth, kind, inLine]) => {
        const levels = kind === 'object' ? Math.min(depth, 20_000) : depth;
        const text = body(order);
        const deep = nestedJson(levels, kind);
        const content = inLine ? text.replace('"items":[{', `"items":[{"notes":${deep},`) : withRawField(text, 'notes', deep);
        return poison('deep', content, /nested deeper than the limit of 32 levels/);
      }),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(orderCreated, fc.integer({ min: 65_537, max: 100_000 }))
      .map(([order, length]) => poison('long-string', body({ ...order, note: 'n'.repeat(length) }), /more than the limit of 65536/)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(orderCreated, fc.integer({ min: 10_001, max: 12_000 }))
      .map(([order, length]) =>
        poison('long-array', body({ ...order, tags: new Array<number>(length).fill(0) }), /more than the limit of 10000/),
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: MAX_MESSAGE_BYTES + 1, max: MAX_MESSAGE_BYTES + 20_000 })
      .map((size) => poison('too-big', `{"pad":"${'x'.repeat(size)}"}`, /exceeds the limit of 131072 bytes/)),
  },
  {
    weight: 2,
    // Under maxMessageBytes but over the fault's own limit: the fault carries a reference, and the order id to compensate by.
    arbitrary: fc.tuple(orderCreated, fc.integer({ min: 40_000, max: 65_000 })).map(([order, length]) => ({
      ...poison('big-invalid', body({ ...order, total: 12.5, note: 'n'.repeat(length) }), /total must be a decimal string/),
      excerptOrderId: order.orderId,
    })),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(orderCreated, reservedKey, fc.boolean()).map(([order, key, inLine]) => {
      const text = body(order);
      const content = inLine
        ? text.replace('"items":[{', `"items":[{${JSON.stringify(key)}:{"isAdmin":true},`)
        : withRawField(text, key, '{"isAdmin":true}');
      return poison('reserved-key', content, new RegExp(`Key "${key}" at .* is not allowed`));
    }),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(orderCreated, fc.constantFrom('\\ud800', '\\udfff', '\\udc00x'), fc.constantFrom('email', 'currency', 'orderId'))
      .map(([order, escape, field]) =>
        poison('lone-surrogate', body(order).replace(`"${field}":"`, `"${field}":"${escape}`), /not well-formed Unicode/),
      ),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        orderCreated,
        hostileText.filter((text) => !/[\ud800-\udfff]/.test(text)),
      )
      .map(([order, text]) =>
        poison('hostile-email', body({ ...order, email: `a${text}b@example.com` }), /email must be an email address/),
      ),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(orderCreated, fc.constantFrom(undefined, ''))
      .map(([order, messageId]) => poison('no-message-id', body(order), /Message has no message id/, { messageId })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(orderCreated, fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom('\u0000', '\u0001', '\n', '\u007f', '\u009b'))
      .map(([order, id, control]) => ({
        ...poison('control-in-message-id', body(order), /Message id holds control characters/),
        messageIdSuffix: `-${id}${control}`,
      })),
  },
  {
    weight: 2,
    // Printable ids of any script, up to 40 code points (at most 160 bytes: AMQP allows 255).
    arbitrary: fc
      .tuple(orderCreated, fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme-composite' }))
      .map(([order, id]) => ({ ...valid('unusual-message-id', order), messageIdSuffix: `-${id}` })),
  },
  {
    weight: 6,
    arbitrary: fc
      .tuple(orderCreated, fc.constantFrom('x-attempts', 'x-schema-version', 'x-delivery-count'), headerValue)
      .map(([order, name, value]) => {
        const { fate, reason } = headerFate(name, value);
        const properties = { headers: { [name]: value } };
        return fate === 'handled'
          ? valid(`header ${name}`, order, properties)
          : poison(`header ${name}`, body(order), reason as RegExp, properties);
      }),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        orderCreated,
        fc
          .oneof(fc.constantFrom('order.cancelled', 'fault.order.created', ''), fc.stringMatching(/^[a-z]{1,8}\.[a-z]{1,8}$/))
          .filter((type) => type !== 'order.created'),
      )
      .map(([order, type]) =>
        type === '' ? valid('wrong-type', order, { type }) : poison('wrong-type', body(order), /Unknown message type/, { type }),
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        orderCreated,
        fc.oneof(fc.integer(), fc.constant(''), fc.array(fc.string(), { maxLength: 2 }), fc.boolean()),
        fc.oneof(fc.integer(), anyText(20)),
      )
      .map(([order, correlation, causation]) =>
        valid('correlation-headers', order, { headers: { 'x-correlation-id': correlation, 'x-causation-id': causation } }),
      ),
  },
);

/** A case as a failure shows it: the class, the properties, the start of the body. */
function printed(deliveryCase: DeliveryCase): string {
  const text = String(deliveryCase.body);
  return (
    `${deliveryCase.inputClass} (${deliveryCase.fate}${deliveryCase.twice ? ', twice' : ''}) ${JSON.stringify(deliveryCase.properties)} ` +
    `${JSON.stringify(text.slice(0, 120))}${text.length > 120 ? `… (${text.length} long)` : ''}`
  );
}

/** The cases as fast-check prints a counterexample. */
const printedCase: Arbitrary<DeliveryCase> = deliveryCase.map((deliveryCase) =>
  Object.assign(deliveryCase, { [fc.toStringMethod]: () => printed(deliveryCase) }),
);

/** What the suite keeps of a published case. */
type CaseRecord = Pick<DeliveryCase, 'inputClass' | 'fate' | 'reason' | 'twice' | 'excerptOrderId'> & { printed: string };

function recordOf({ inputClass, fate, reason, twice, excerptOrderId, ...rest }: DeliveryCase): CaseRecord {
  return { inputClass, fate, reason, twice, excerptOrderId, printed: printed({ inputClass, fate, ...rest }) };
}

// ---- the application under test ----------------------------------------------------------------------------------

@Injectable()
class OrderLedger {
  /** Handled messages by case key (the AMQP correlation id of the delivery). */
  readonly handled = new Map<string, number>();

  @MessageHandler(OrderCreated)
  @Idempotent({ store: 'memory' })
  onOrder(_order: OrderCreated, context: MessageContext): void {
    this.handled.set(context.correlationId, (this.handled.get(context.correlationId) ?? 0) + 1);
  }
}

/** What the suite checks of a fault; the rest (its body, up to faultBodyMaxBytes) is not kept: the heap is measured. */
type FaultSummary = Pick<Fault, 'errorType' | 'original'> & { excerptOrderId?: unknown };

@Injectable()
class FaultLedger {
  readonly faults = new Map<string, FaultSummary[]>();

  @MessageHandler(faultOf(OrderCreated))
  onFault(fault: Fault): void {
    const summary = { errorType: fault.errorType, original: fault.original, excerptOrderId: fault.messageExcerpt?.orderId };
    this.faults.set(fault.correlationId, [...(this.faults.get(fault.correlationId) ?? []), summary]);
  }
}

/** Every settled delivery, by queue and outcome: a delivery is settled once, so finals must equal deliveries. */
class OutcomeRecorder implements MessagingInstrumentation {
  readonly outcomes = new Map<string, Map<ConsumeOutcome, number>>();

  count(queue: string, ...outcomes: ConsumeOutcome[]): number {
    return outcomes.reduce((sum, outcome) => sum + (this.outcomes.get(queue)?.get(outcome) ?? 0), 0);
  }

  forConsumer(queue: string) {
    return {
      consumed: () => undefined,
      outcome: (outcome: ConsumeOutcome) => {
        const byOutcome = this.outcomes.get(queue) ?? new Map<ConsumeOutcome, number>();
        byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1);
        this.outcomes.set(queue, byOutcome);
      },
    };
  }

  forPublish() {
    return { confirmed: () => undefined, failed: () => undefined };
  }

  setSampler(): void {}
}

const recorder = new OutcomeRecorder();

@Global()
@Module({ providers: [{ provide: MESSAGING_INSTRUMENTATION, useValue: recorder }], exports: [MESSAGING_INSTRUMENTATION] })
class RecorderModule {}

describe('fuzzing a consumer with raw deliveries', () => {
  // A run is a batch of up to 30 deliveries: the quick profile's 180 runs make about 1000 cases.
  const settings = fuzzSettings('consumer', process.env, 3);
  const table = new OutcomeTable();
  let vhost: TestVhost;
  let app: INestApplication;
  let broker: ChannelModel;
  let channel: ConfirmChannel;
  let orders: OrderLedger;
  let faults: FaultLedger;
  /** Dead letters by case key, as they arrive in the DLQ: their reason headers (not their bodies, kept from the heap). */
  const deadLetters = new Map<string, Array<Record<string, unknown>>>();
  /** Every case published, by key, without its body (the heap is measured); and how many deliveries that made. */
  const published = new Map<string, CaseRecord>();
  let deliveries = 0;
  let faultDeadLetters = 0;
  let heapBefore = 0;
  let batch = 0;

  beforeAll(async () => {
    vhost = await createTestVhost('fuzz-consumer');
    const moduleRef = await Test.createTestingModule({
      imports: [
        RecorderModule,
        MessagingModule.forRoot({
          url: vhost.url,
          serviceName: SERVICE,
          maxMessageBytes: MAX_MESSAGE_BYTES,
          prefetch: 50,
          retry: { maxAttempts: 5, backoff: { initialMs: 100, maxMs: 1000 } },
          reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
          shutdownTimeoutMs: 1000,
        }),
      ],
      providers: [OrderLedger, FaultLedger],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    await app.get(ConsumerSupervisor).waitUntilReady();
    orders = app.get(OrderLedger);
    faults = app.get(FaultLedger);
    broker = await vhost.connect();
    channel = await broker.createConfirmChannel();
    const observer = await broker.createChannel();
    await observer.consume(
      DLQ,
      (message) => {
        if (!message) return;
        const key = String(message.properties.correlationId);
        const { 'x-error-type': errorType, 'x-error-message': errorMessage } = (message.properties.headers ?? {}) as Record<
          string,
          unknown
        >;
        deadLetters.set(key, [...(deadLetters.get(key) ?? []), { 'x-error-type': errorType, 'x-error-message': errorMessage }]);
      },
      { noAck: true },
    );
    await observer.consume(`${FAULT_QUEUE}.dlq`, () => faultDeadLetters++, { noAck: true });
    heapBefore = heapUsedMiB();
  }, 60_000);

  afterAll(async () => {
    await broker?.close().catch(() => undefined);
    await app?.close();
    await vhost?.delete();
  }, 60_000);

  function publish(key: string, deliveryCase: DeliveryCase): void {
    const properties: Options.Publish = {
      messageId: `${key}${deliveryCase.messageIdSuffix ?? ''}`,
      type: 'order.created',
      contentType: 'application/json',
      persistent: true,
      ...deliveryCase.properties,
      correlationId: key,
    };
    const content = typeof deliveryCase.body === 'string' ? Buffer.from(deliveryCase.body, 'utf8') : deliveryCase.body;
    for (let copy = 0; copy < (deliveryCase.twice ? 2 : 1); copy++) {
      channel.publish('domain.events', 'order.created', content, properties);
      deliveries++;
    }
  }

  /**
   * Every case settled: handled, or dead-lettered with its fault. (A duplicate's second copy may still be on its way
   * back after a retry; the last test waits for every delivery's final outcome.)
   */
  function settled(keys: string[]): boolean {
    return keys.every((key) => {
      const { fate } = published.get(key) as CaseRecord;
      return fate === 'handled' ? orders.handled.has(key) : deadLetters.has(key) && faults.faults.has(key);
    });
  }

  function assertExactlyOnce(key: string): void {
    const deliveryCase = published.get(key) as CaseRecord;
    const handled = orders.handled.get(key) ?? 0;
    const dead = deadLetters.get(key) ?? [];
    const faultsOfKey = faults.faults.get(key) ?? [];
    const context = `${key}: ${deliveryCase.printed}`;
    if (deliveryCase.fate === 'handled') {
      expect({ context, handled, dead: dead.length }).toEqual({ context, handled: 1, dead: 0 });
      return;
    }
    expect({ context, handled, dead: dead.length, faults: faultsOfKey.length }).toEqual({ context, handled: 0, dead: 1, faults: 1 });
    const headers = dead[0];
    expect({ context, errorType: headers['x-error-type'] }).toEqual({ context, errorType: 'validation' });
    expect({ context, reason: String(headers['x-error-message']) }).toEqual({
      context,
      reason: expect.stringMatching(deliveryCase.reason as RegExp),
    });
    const [fault] = faultsOfKey;
    expect({ context, fault: { errorType: fault.errorType, deadLetterQueue: fault.original?.deadLetterQueue } }).toEqual({
      context,
      fault: { errorType: 'validation', deadLetterQueue: DLQ },
    });
    if (deliveryCase.excerptOrderId) {
      expect({ context, carried: fault.original?.carried, orderId: fault.excerptOrderId }).toEqual({
        context,
        carried: false,
        orderId: deliveryCase.excerptOrderId,
      });
    }
  }

  it(
    'handles every valid delivery once and dead-letters every poison one once, with a reason and a fault event',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(printedCase, { minLength: 1, maxLength: 30 }), async (cases) => {
          batch++;
          const keys = cases.map((deliveryCase, index) => {
            const key = `b${batch}-${index}`;
            publish(key, deliveryCase);
            published.set(key, recordOf(deliveryCase));
            return key;
          });
          await channel.waitForConfirms();
          await eventually(() => settled(keys), `batch ${batch} settled`, 10_000).catch((error: unknown) => {
            const open = keys.filter((key) => !settled([key])).map((key) => `${published.get(key)?.inputClass} ${key}`);
            throw new Error(`${String(error)}; unsettled: ${open.join(', ')}`);
          });
          for (const key of keys) {
            assertExactlyOnce(key);
            const deliveryCase = published.get(key) as CaseRecord;
            table.add(
              deliveryCase.inputClass,
              deliveryCase.fate === 'handled' ? (deliveryCase.twice ? 'handled once of 2' : 'handled') : 'dead-lettered + fault',
            );
          }
        }),
        fuzzParameters(settings),
      );
    },
    settings.timeLimitMs + 60_000,
  );

  it('settled each delivery once, left no fault unaccepted, kept consuming, and its heap did not grow', async () => {
    const dead = [...published.values()].filter((c) => c.fate === 'dead-lettered').length;
    const finals = () => recorder.count(QUEUE, 'ack', 'duplicate', 'dead-letter');
    await eventually(() => finals() >= deliveries && recorder.count(FAULT_QUEUE, 'ack') >= dead, 'every delivery settled', 15_000);
    // Late copies would show up now: wait a moment, then count everything again.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (const key of published.keys()) assertExactlyOnce(key);
    expect(recorder.count(QUEUE, 'ack', 'duplicate', 'dead-letter')).toBe(deliveries);
    expect(recorder.count(QUEUE, 'dead-letter')).toBe(dead);
    expect(recorder.count(FAULT_QUEUE, 'ack')).toBe(dead);
    expect(faultDeadLetters).toBe(0);
    await eventually(() => app.get(ConsumerSupervisor).isConsuming, 'consumers running');
    const { messageCount } = await channel.checkQueue(QUEUE);
    expect(messageCount).toBe(0);

    const heapAfter = heapUsedMiB();
    printTable(table, `Consumer of order.created: fate per input class (seed ${settings.seed}, ${settings.profile} profile)`, settings, [
      `cases: ${published.size}, deliveries: ${deliveries}, dead letters: ${dead}, faults accepted: ${recorder.count(FAULT_QUEUE, 'ack')}, ` +
        `retries: ${recorder.count(QUEUE, 'retry')}, heap after a full GC: ${heapBefore.toFixed(1)} MiB before, ${heapAfter.toFixed(1)} MiB after`,
    ]);
    expect(heapAfter - heapBefore).toBeLessThan(64);
  }, 30_000);
});
