// Generators of input for the fuzz suites, valid and hostile: orders as POST /orders takes them and order.created
// messages as a consumer takes them, and what breaks them (deep nesting, long strings and arrays, reserved keys,
// unpaired surrogates, invisible characters, amounts past a column, bytes that are not JSON).
import fc, { type Arbitrary } from 'fast-check';

/** Characters that make text malformed or deceptive: unpaired surrogates, controls, bidi overrides, zero-width. */
export const HOSTILE_CHARACTERS = [
  '\ud800',
  '\udfff',
  '\u0000',
  '\u0007',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u200b',
  '\u200d',
  '\u202e',
  '\u2066',
  '\u2028',
  '\ufeff',
  '\uffff',
] as const;

/** Any text, of any code points, lone surrogates included (fast-check's 'binary' unit never makes one). */
export const anyText = (maxLength = 40): Arbitrary<string> =>
  fc.string({
    maxLength,
    unit: fc.oneof(fc.constantFrom(...HOSTILE_CHARACTERS), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' })),
  });

/** A text that holds at least one hostile character, somewhere in otherwise plain text. */
export const hostileText: Arbitrary<string> = fc
  .tuple(fc.string({ maxLength: 12 }), fc.constantFrom(...HOSTILE_CHARACTERS), fc.string({ maxLength: 12 }))
  .map(([before, bad, after]) => `${before}${bad}${after}`);

/** `levels` arrays or objects nested inside each other, as JSON text (built as text: no recursion anywhere). */
export function nestedJson(levels: number, kind: 'array' | 'object' = 'array', leaf = '0'): string {
  return kind === 'array' ? `${'['.repeat(levels)}${leaf}${']'.repeat(levels)}` : `${'{"a":'.repeat(levels)}${leaf}${'}'.repeat(levels)}`;
}

/** Keys naming a JavaScript object's machinery (the fuzzer found `toString` passing a whitelist). */
export const reservedKey = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__lookupGetter__',
);

export const uuid = fc.uuid({ version: 4 });

/** E-mail addresses class-validator's isEmail accepts: plain local parts, a few with letters beyond ASCII. */
export const emailAddress: Arbitrary<string> = fc
  .tuple(
    fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,18}[a-z0-9]$/),
    fc.constantFrom('', 'ë', 'ø'),
    fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z]$/),
  )
  .filter(([local]) => !local.includes('..'))
  .map(([local, accent, domain]) => `${local}${accent}@${domain}.example`);

export const currency = fc.constantFrom('EUR', 'USD', 'GBP', 'JPY', 'CHF', 'SEK');

/** A decimal string with two fraction digits and at most `integerDigits` before the point. */
export const amount = (integerDigits: number): Arbitrary<string> =>
  fc
    .tuple(fc.bigInt({ min: 0n, max: 10n ** BigInt(integerDigits) - 1n }), fc.nat(99))
    .map(([whole, cents]) => `${whole}.${String(cents).padStart(2, '0')}`);

export interface Line {
  sku: string;
  quantity: number;
  unitPrice: string;
}

/** Lines whose total stays far below the order total's column (5 lines x 10000 x 999999.99 < 10^11). */
export const line: Arbitrary<Line> = fc.record({
  sku: fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/),
  quantity: fc.integer({ min: 1, max: 10_000 }),
  unitPrice: amount(6),
});

/** A body POST /orders accepts. */
export const orderRequest = fc.record({
  customerId: uuid,
  email: emailAddress,
  currency,
  items: fc.array(line, { minLength: 1, maxLength: 5 }),
});

export type OrderRequest = typeof orderRequest extends Arbitrary<infer T> ? T : never;

const isoDateTime = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true })
  .map((date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z'));

const notification = fc.oneof(
  emailAddress.map((address) => ({ kind: 'email', address })),
  fc.stringMatching(/^\+[1-9]\d{6,14}$/).map((phoneNumber) => ({ kind: 'sms', phoneNumber })),
);

/** An order.created body OrderCreated accepts. */
export const orderCreated = fc.record({
  orderId: uuid,
  customerId: uuid,
  email: emailAddress,
  currency,
  items: fc.array(line, { minLength: 1, maxLength: 5 }),
  total: amount(12),
  placedAt: isoDateTime,
  notification,
});

export type OrderCreatedBody = typeof orderCreated extends Arbitrary<infer T> ? T : never;

/** A value that is not a UUID, for an id field. */
export const notUuid: Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 40 }).filter((text) => !/^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(text)),
  fc.integer(),
  fc.constant(null),
  fc.constant('00000000-0000-0000-0000-000000000000'),
  fc.array(fc.nat(), { maxLength: 3 }),
);

/** Replaces one field of `body` with a value its class refuses, or removes it. */
export function breakField<T extends Record<string, unknown>>(fields: { [K in keyof T]?: Arbitrary<unknown> }): (
  body: T,
) => Arbitrary<Record<string, unknown>> {
  const names = Object.keys(fields);
  return (body) =>
    fc.tuple(fc.constantFrom(...names), fc.boolean()).chain(([name, remove]) => {
      if (remove) {
        const { [name]: _removed, ...rest } = body;
        return fc.constant(rest);
      }
      return (fields[name as keyof T] as Arbitrary<unknown>).map((value) => ({ ...body, [name]: value }));
    });
}

/** Inserts `key: valueJson` into the JSON text of an object, as its first field (so a reserved key survives as text). */
export function withRawField(json: string, key: string, valueJson: string): string {
  return `{${JSON.stringify(key)}:${valueJson},${json.slice(1)}`;
}
