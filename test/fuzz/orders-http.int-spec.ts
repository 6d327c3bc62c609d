// Fuzzing POST /orders: the orders app in-process (its own module, the real broker in a vhost of its own, a PostgreSQL
// database of its own), fed generated bodies, valid and hostile, in concurrent batches. No input gets a 5xx; what is
// valid is accepted and stored once, what is not is refused with a 4xx and its reason (413 past a size limit); the
// service stays ready and its heap does not grow. FUZZ_SEED replays a run; npm run fuzz runs the long profile and
// prints the counts per input class and answer.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ConsumerSupervisor } from '@app/messaging';
import fc, { type Arbitrary } from 'fast-check';
import { Client } from 'pg';
import { OrdersAppModule } from '../../apps/orders/src/orders-app.module';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { createTestVhost, type TestVhost } from '../support/test-broker';
import { fuzzParameters, fuzzSettings, heapUsedMiB, OutcomeTable, printTable } from './fuzz-run';
import {
  amount,
  anyText,
  breakField,
  currency,
  emailAddress,
  hostileText,
  line,
  nestedJson,
  notUuid,
  orderRequest,
  reservedKey,
  uuid,
  withRawField,
  type OrderRequest,
} from './hostile-input';

/** What an input class must get: 202, a 4xx (a given one, or any), or either (never a 5xx, whatever it is). */
type Expected = 202 | 400 | 413 | '4xx' | 'any';

interface HttpCase {
  inputClass: string;
  expected: Expected;
  body: string | Buffer;
  contentType?: string;
  idempotencyKey?: string;
}

const json = (inputClass: string, expected: Expected, value: unknown): HttpCase => ({ inputClass, expected, body: JSON.stringify(value) });

const DECLARED = ['customerId', 'email', 'currency', 'items'];

/** Every kind of input, weighted so that each shows up in a quick run. */
const httpCase: Arbitrary<HttpCase> = fc.oneof(
  { weight: 4, arbitrary: orderRequest.map((body) => json('valid', 202, body)) },
  {
    weight: 3,
    arbitrary: orderRequest
      .chain(
        breakField<OrderRequest>({
          customerId: notUuid,
          email: fc.oneof(
            fc.string({ maxLength: 30 }).filter((text) => !text.includes('@')),
            hostileText,
            fc.integer(),
          ),
          currency: fc.oneof(fc.stringMatching(/^[a-z]{3}$/), fc.constantFrom('XYZ', 'EURO', ''), fc.nat()),
          items: fc.oneof(fc.constant([]), fc.string(), fc.array(fc.array(line, { maxLength: 1 }), { minLength: 1, maxLength: 2 })),
        }),
      )
      .map((body) => json('invalid-field', 400, body)),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        orderRequest,
        anyText(20).filter((key) => key !== '' && !DECLARED.includes(key)),
        fc.jsonValue({ maxDepth: 3 }),
      )
      .map(([body, key, value]) => ({
        ...json('unknown-field', '4xx', {}),
        body: withRawField(JSON.stringify(body), key, JSON.stringify(value ?? null)),
      })),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(orderRequest, reservedKey, fc.boolean()).map(([body, key, inLine]) => {
      const text = JSON.stringify(body);
      const poisoned = inLine
        ? text.replace('"items":[{', `"items":[{${JSON.stringify(key)}:{"isAdmin":true},`)
        : withRawField(text, key, '{"isAdmin":true}');
      return { inputClass: 'reserved-key', expected: 400, body: poisoned } satisfies HttpCase;
    }),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(orderRequest, fc.constantFrom('email', 'customerId', 'currency', 'sku'), hostileText)
      .map(([body, field, text]) =>
        json(
          'hostile-text',
          400,
          field === 'sku' ? { ...body, items: [{ ...body.items[0], sku: text }, ...body.items.slice(1)] } : { ...body, [field]: text },
        ),
      ),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(orderRequest, fc.integer({ min: 33, max: 60_000 }), fc.constantFrom<'array' | 'object'>('array', 'object'), fc.boolean())
      .map(([body, depth, kind, inLine]) => {
        const text = JSON.stringify(body);
        const deep = nestedJson(depth, kind);
        return {
          inputClass: 'deep',
          expected: 413,
          body: inLine ? text.replace('"items":[{', `"items":[{"notes":${deep},`) : withRawField(text, 'notes', deep),
        } satisfies HttpCase;
      }),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(orderRequest, fc.integer({ min: 65_537, max: 200_000 }))
      .map(([body, length]) => json('long-string', 413, { ...body, email: `${'a'.repeat(length)}@example.com` })),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(orderRequest, fc.integer({ min: 101, max: 12_000 })).map(([body, count]) =>
      json('long-array', count > 10_000 ? 413 : 400, {
        ...body,
        items: Array.from({ length: count }, () => ({ sku: 'A', quantity: 1, unitPrice: '1.00' })),
      }),
    ),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 1024 * 1024 + 1, max: 1024 * 1024 + 50_000 })
      .map((size) => ({ inputClass: 'too-big', expected: 413, body: `{"pad":"${'x'.repeat(size)}"}` }) satisfies HttpCase),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        orderRequest,
        fc.array(
          fc.record({
            sku: fc.constant('BIG-1'),
            quantity: fc.oneof(fc.integer({ min: 1, max: 10_000 }), fc.constantFrom(10_000, 10_001, 0, -1, 2 ** 53, 1.5)),
            unitPrice: fc.oneof(
              { weight: 4, arbitrary: amount(3) },
              { weight: 1, arbitrary: amount(8) },
              { weight: 1, arbitrary: amount(18) },
              { weight: 1, arbitrary: fc.constantFrom('999999999999999999.99', '1000000000000000000.00', '99999999.99', '0.00', '-1.00') },
            ),
          }),
          { minLength: 1, maxLength: 100 },
        ),
      )
      .map(([body, items]) => json('amounts', 'any', { ...body, items })),
  },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
        fc.string({ maxLength: 200, unit: 'binary' }),
        orderRequest.chain((body) => fc.nat(60).map((cut) => JSON.stringify(body).slice(0, cut))),
      )
      .map((body) => ({ inputClass: 'not-json', expected: '4xx', body }) satisfies HttpCase),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        orderRequest,
        fc.oneof(
          fc.constantFrom(
            'application/json; charset=utf-8',
            'application/vnd.orders+json',
            'text/plain',
            'application/xml',
            'application/x-www-form-urlencoded',
            'multipart/form-data',
            '',
          ),
          fc.stringMatching(/^[a-z]{1,10}\/[a-z0-9.+-]{1,20}(; ?charset=[a-z0-9-]{1,10})?$/),
        ),
      )
      .map(([body, contentType]) => ({ ...json('content-type', 'any', body), contentType })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(orderRequest, fc.oneof(fc.constantFrom('k-1', 'k-2', 'k-3'), fc.stringMatching(/^[\x21-\x7e]{0,140}$/)))
      .map(([body, idempotencyKey]) => ({ ...json('idempotency-key', 'any', body), idempotencyKey })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(uuid, emailAddress, currency)
      .map(([customerId, email, code]) => json('no-items', 400, { customerId, email, currency: code })),
  },
);

/** The cases as fast-check prints a counterexample: the class, the headers, the start of the body. */
const printedCase: Arbitrary<HttpCase> = httpCase.map((httpCase) =>
  Object.assign(httpCase, {
    [fc.toStringMethod]: () => {
      const text = Buffer.isBuffer(httpCase.body) ? httpCase.body.toString('latin1') : httpCase.body;
      const extra = { contentType: httpCase.contentType, idempotencyKey: httpCase.idempotencyKey };
      return `${httpCase.inputClass} (expects ${httpCase.expected}) ${JSON.stringify(extra)} ${JSON.stringify(text.slice(0, 120))}${text.length > 120 ? `… (${text.length} long)` : ''}`;
    },
  }),
);

describe('fuzzing POST /orders of the orders app', () => {
  // A run is a batch of up to 24 concurrent requests: the quick profile's 240 runs make about 1500 requests.
  const settings = fuzzSettings('orders-http', process.env, 4);
  const table = new OutcomeTable();
  const savedEnv = { ...process.env };
  let vhost: TestVhost;
  let database: TestDatabase;
  let app: INestApplication;
  let baseUrl: string;
  const acceptedIds = new Set<string>();
  let heapBefore = 0;

  beforeAll(async () => {
    [vhost, database] = await Promise.all([createTestVhost('fuzz-http'), createTestDatabase('fuzz_http')]);
    // Read when the module's providers are built (compile), not when it is imported.
    Object.assign(process.env, { AMQP_URL: vhost.url, DATABASE_URL: database.url, LOG_LEVEL: 'silent', ADMIN_TOKEN: '' });
    const moduleRef = await Test.createTestingModule({ imports: [OrdersAppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    await app.get(ConsumerSupervisor).waitUntilReady();
    baseUrl = `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}`;
    heapBefore = heapUsedMiB();
  }, 90_000);

  afterAll(async () => {
    await app?.close();
    await Promise.all([vhost?.delete(), database?.drop()]);
    process.env = savedEnv;
  }, 60_000);

  async function send(httpCase: HttpCase): Promise<{ status: number; body: string }> {
    const headers: Record<string, string> = {};
    if (httpCase.contentType !== '') headers['content-type'] = httpCase.contentType ?? 'application/json';
    if (httpCase.idempotencyKey !== undefined) headers['idempotency-key'] = httpCase.idempotencyKey;
    const body = typeof httpCase.body === 'string' ? httpCase.body : new Uint8Array(httpCase.body);
    const response = await fetch(`${baseUrl}/orders`, { method: 'POST', headers, body });
    return { status: response.status, body: await response.text() };
  }

  it(
    'answers every generated request with a 2xx or a 4xx and its reason, never a 5xx',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(printedCase, { minLength: 1, maxLength: 24 }), async (cases) => {
          const answers = await Promise.all(cases.map(send));
          // Recorded before anything is asserted: a failing case must not hide the orders its batch did place.
          for (const { status, body } of answers) if (status === 202) acceptedIds.add((JSON.parse(body) as { id: string }).id);
          cases.forEach((httpCase, index) => {
            const { status, body } = answers[index];
            table.add(httpCase.inputClass, String(status));
            const context = `${httpCase.inputClass} answered ${status}: ${body.slice(0, 300)}`;
            expect({ context, serverError: status >= 500 }).toEqual({ context, serverError: false });
            if (httpCase.expected === 202) expect({ context, status }).toEqual({ context, status: 202 });
            if (httpCase.expected === 400 || httpCase.expected === 413)
              expect({ context, status }).toEqual({ context, status: httpCase.expected });
            if (httpCase.expected === '4xx') expect({ context, status: status >= 400 && status < 500 }).toEqual({ context, status: true });
            if (status >= 400) expect({ context, hasReason: /"message"/.test(body) }).toEqual({ context, hasReason: true });
          });
        }),
        fuzzParameters(settings),
      );
    },
    settings.timeLimitMs + 60_000,
  );

  it('stays ready, stored exactly the orders it accepted, and its heap did not grow', async () => {
    const ready = await fetch(`${baseUrl}/health/ready`);
    expect(ready.status).toBe(200);

    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ count: string }>('select count(*) from orders');
      expect(Number(rows[0].count)).toBe(acceptedIds.size);
    } finally {
      await client.end();
    }

    const heapAfter = heapUsedMiB();
    printTable(table, `POST /orders: answers per input class (seed ${settings.seed}, ${settings.profile} profile)`, settings, [
      `requests: ${table.total}, orders stored: ${acceptedIds.size}, heap after a full GC: ${heapBefore.toFixed(1)} MiB before, ${heapAfter.toFixed(1)} MiB after`,
    ]);
    expect(heapAfter - heapBefore).toBeLessThan(64);
    expect(table.total).toBeGreaterThan(0);
  });
});
