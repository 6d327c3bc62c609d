// Specs for what a fault says about a failed body: whole when small and plain, else an excerpt and a reference; never
// more than a consumer of faults accepts, whatever the body.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { checkInputLimits, DEFAULT_INPUT_LIMITS } from '@app/messaging-core';
import { describeFaultBody, type FaultBodyLimits } from './fault-body';

const LIMITS: FaultBodyLimits = { faultBodyMaxBytes: 256, limits: { ...DEFAULT_INPUT_LIMITS, maxBytes: 4096, maxDepth: 4 } };
const DLQ = 'billing.invoice.sent.dlq';

function faultBodyOf(body: string, limits = LIMITS) {
  return describeFaultBody(Buffer.from(body, 'utf8'), DLQ, limits);
}

describe('describeFaultBody', () => {
  it('carries a small JSON object whole, with its reference', () => {
    const body = '{"invoiceId":"i-1","lines":[{"sku":"a"}]}';

    expect(faultBodyOf(body)).toEqual({
      message: { invoiceId: 'i-1', lines: [{ sku: 'a' }] },
      original: { deadLetterQueue: DLQ, bytes: body.length, sha256: createHash('sha256').update(body).digest('hex'), carried: true },
    });
  });

  it('does not carry a body over faultBodyMaxBytes: its short top-level fields instead', () => {
    const result = faultBodyOf(JSON.stringify({ invoiceId: 'i-1', amount: 3, draft: true, note: 'x'.repeat(300), lines: [] }));

    expect(result.message).toBeUndefined();
    expect(result.messageExcerpt).toEqual({ invoiceId: 'i-1', amount: 3, draft: true });
    expect(result.original.carried).toBe(false);
  });

  it('does not carry a body that would be one level too deep inside the fault', () => {
    expect(faultBodyOf('{"a":{"b":{"c":1}}}').message).toEqual({ a: { b: { c: 1 } } });
    expect(faultBodyOf('{"a":{"b":{"c":{}}}}').message).toBeUndefined();
  });

  it('does not even parse a body larger than a consumer accepts', () => {
    const parse = jest.spyOn(JSON, 'parse');
    const result = faultBodyOf(JSON.stringify({ id: 'x', pad: 'p'.repeat(5000) }));
    parse.mockRestore();

    expect(parse).not.toHaveBeenCalled();
    expect(result).toEqual({ original: expect.objectContaining({ bytes: 5019, carried: false }) });
  });

  it('keeps the excerpt within faultBodyMaxBytes, and leaves it out when nothing fits', () => {
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`field${i}`, 'v'.repeat(20)]));
    const excerpt = faultBodyOf(JSON.stringify(many)).messageExcerpt ?? {};

    expect(Buffer.byteLength(JSON.stringify(excerpt))).toBeLessThanOrEqual(256);
    expect(faultBodyOf(JSON.stringify(many), { ...LIMITS, faultBodyMaxBytes: 0 })).not.toHaveProperty('messageExcerpt');
  });

  it('always gives a fault body a consumer of faults accepts, whatever the bytes', () => {
    const bodies = fc.oneof(
      fc.json({ maxDepth: 8, stringUnit: 'binary' }),
      fc.uint8Array({ maxLength: 600 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
      fc.nat(5000).map((depth) => `{"id":"x","deep":${'['.repeat(depth)}${']'.repeat(depth)}}`),
    );
    fc.assert(
      fc.property(bodies, (body) => {
        const result = faultBodyOf(body);
        const json = JSON.stringify({ errorMessage: 'x', ...result });
        expect(Buffer.byteLength(json)).toBeLessThanOrEqual(LIMITS.faultBodyMaxBytes * 2 + 400);
        expect(() => checkInputLimits(JSON.parse(json), LIMITS.limits)).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });
});
