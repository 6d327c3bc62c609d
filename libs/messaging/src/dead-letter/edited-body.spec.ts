import { DEFAULT_INPUT_LIMITS, Sensitive } from '@app/messaging-core';
import { maskedForEditing, readEditedBody, restoreMasked } from './edited-body';

class Customer {
  @Sensitive() phone!: string;
}
void Customer; // registers "phone" as a sensitive field name

const original = {
  orderId: 'o-1',
  email: 'alice@example.com',
  phone: '+4915112345678',
  note: 'call bob@example.org first',
  items: [{ sku: 'A', contact: 'carol@example.net' }],
};

describe('an edited dead-letter body', () => {
  it('is shown with personal data masked', () => {
    expect(maskedForEditing(original)).toEqual({
      orderId: 'o-1',
      email: 'a***e@example.com',
      phone: '***',
      note: 'call b***b@example.org first',
      items: [{ sku: 'A', contact: 'c***l@example.net' }],
    });
  });

  it('keeps the original of every value left as its mask, and takes what the operator changed', () => {
    const edited = { ...(maskedForEditing(original) as Record<string, unknown>), orderId: 'o-2', phone: '+4915100000000' };

    expect(restoreMasked(edited, original)).toEqual({ ...original, orderId: 'o-2', phone: '+4915100000000' });
  });

  it('keeps a masked value inside arrays and nested objects, and leaves fields the original did not have', () => {
    const shown = maskedForEditing(original) as { items: Array<Record<string, unknown>> };
    const edited = { ...shown, items: [{ ...shown.items[0], quantity: 2 }], extra: '***' };

    expect(restoreMasked(edited, original)).toEqual({
      ...original,
      items: [{ sku: 'A', contact: 'carol@example.net', quantity: 2 }],
      extra: '***',
    });
  });

  it('is read back as JSON bytes to send, masks restored', () => {
    const read = readEditedBody(JSON.stringify(maskedForEditing(original)), original, DEFAULT_INPUT_LIMITS);

    expect(read).toEqual({ body: original, content: Buffer.from(JSON.stringify(original)) });
  });

  it.each([
    ['text that is not JSON', '{"orderId": ', /is not valid JSON/],
    ['JSON that is not an object', '[1, 2]', /must be a JSON object/],
    ['a reserved key', '{"__proto__": {"admin": true}}', /__proto__/],
  ])('refuses %s, with the reason', (_label, text, reason) => {
    const read = readEditedBody(text, original, DEFAULT_INPUT_LIMITS);

    expect(read).toEqual({ issues: [{ path: expect.any(String), reasons: [expect.stringMatching(reason)] }] });
  });

  it("refuses a body past the consumer's limits", () => {
    const read = readEditedBody(JSON.stringify({ note: 'x'.repeat(200) }), original, { ...DEFAULT_INPUT_LIMITS, maxStringLength: 100 });

    expect(read).toEqual({ issues: [{ path: 'note', reasons: [expect.stringMatching(/100/)] }] });
  });
});
