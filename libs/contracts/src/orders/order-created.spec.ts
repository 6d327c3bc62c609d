// Specs for OrderCreated, validated exactly as libs/messaging does: a valid order passes, and every broken field,
// nested line or notification channel is reported at its dotted path.
import { EmailChannel, NotificationChannelBase, SmsChannel } from '../notifications/notification-channel';
import { reasonsAt, validateLikeLibrary } from '../testing/validate-like-library';
import { OrderCreated } from './order-created';
import { OrderLine } from './order-line';

function validOrderCreated(): Record<string, unknown> {
  return {
    orderId: '3f2b8c1e-4d5a-4b6c-8d7e-9f0a1b2c3d4e',
    customerId: '01890a5d-ac96-774b-bcce-b302099a8057',
    email: 'ada@example.com',
    currency: 'EUR',
    items: [
      { sku: 'BOOK-1', quantity: 2, unitPrice: '12.50' },
      { sku: 'PEN-7', quantity: 1, unitPrice: '3.99' },
    ],
    total: '28.99',
    placedAt: '2026-11-23T10:00:00Z',
    notification: { kind: 'email', address: 'ada@example.com' },
  };
}

const line = { sku: 'BOOK-1', quantity: 1, unitPrice: '1.00' };

describe('OrderCreated', () => {
  it('declares its message type and schema version', () => {
    expect(OrderCreated.messageType).toBe('order.created');
    expect(OrderCreated.schemaVersion).toBe(1);
  });

  it('accepts a valid order, even when unknown fields are rejected', async () => {
    const { issues } = await validateLikeLibrary(OrderCreated, validOrderCreated(), 'reject');

    expect(issues).toEqual([]);
  });

  it('reads nested data into the contract classes', async () => {
    const { instance } = await validateLikeLibrary(OrderCreated, validOrderCreated());

    expect(instance).toBeInstanceOf(OrderCreated);
    expect(instance.items.every((item) => item instanceof OrderLine)).toBe(true);
    expect(instance.notification).toBeInstanceOf(EmailChannel);
  });

  it('reads an SMS notification into SmsChannel', async () => {
    const data = { ...validOrderCreated(), notification: { kind: 'sms', phoneNumber: '+4915112345678' } };

    const { instance, issues } = await validateLikeLibrary(OrderCreated, data);

    expect(issues).toEqual([]);
    expect(instance.notification).toBeInstanceOf(SmsChannel);
  });

  it.each([
    ['orderId', '42', 'orderId', /^orderId must be a UUID/],
    ['orderId', undefined, 'orderId', /^orderId must be a UUID/],
    ['customerId', 'c-1', 'customerId', /^customerId must be a UUID/],
    ['email', 'ada-at-example.com', 'email', /^email must be an email address$/],
    ['currency', 'eur', 'currency', /^currency must be an ISO 4217 currency code/],
    ['items', [], 'items', /^items should not be empty$/],
    ['items', Array.from({ length: 101 }, () => line), 'items', /^items must contain no more than 100 elements$/],
    ['items', 'BOOK-1', 'items', /^items must be an array$/],
    ['items', [[line]], 'items', /^each value in items must be an order line object$/],
    ['total', '28.9', 'total', /^total must be a decimal string with exactly 2 fraction digits/],
    ['total', 28.99, 'total', /^total must be a decimal string/],
    ['placedAt', '2026-11-23T10:00:00', 'placedAt', /^placedAt must be an ISO-8601 date-time/],
    ['placedAt', '2026-13-23T10:00:00Z', 'placedAt', /^placedAt must be an ISO-8601 date-time/],
    ['notification', undefined, 'notification', /^notification must be an object with a "kind"$/],
    ['notification', [{ kind: 'email', address: 'ada@example.com' }], 'notification', /must be an object/],
    ['notification', { kind: 'email', address: 'nope' }, 'notification.address', /^address must be an email/],
  ])('rejects a bad %s (%p) with a reason at %s', async (field, value, path, reason) => {
    const { issues } = await validateLikeLibrary(OrderCreated, { ...validOrderCreated(), [field]: value });

    expect(reasonsAt(issues, path)).toContainEqual(expect.stringMatching(reason));
  });

  it('fails an unknown notification kind, even though class-transformer reads it into the base class', async () => {
    const data = { ...validOrderCreated(), notification: { kind: 'pigeon', loft: 'Berlin' } };

    const { instance, issues } = await validateLikeLibrary(OrderCreated, data);

    expect(instance.notification.constructor).toBe(NotificationChannelBase);
    expect(reasonsAt(issues, 'notification.kind')).toEqual(['kind must name a known notification channel: email, sms, push']);
  });

  it('reports errors inside items with the index of the line', async () => {
    const data = {
      ...validOrderCreated(),
      items: [
        { sku: 'BOOK 1', quantity: 1, unitPrice: '1.00' },
        { sku: 'PEN-7', quantity: 0, unitPrice: '1.5' },
      ],
    };

    const { issues } = await validateLikeLibrary(OrderCreated, data);

    expect(issues.map((issue) => issue.path)).toEqual(['items.0.sku', 'items.1.quantity', 'items.1.unitPrice']);
  });

  it('reports every broken field at once, not only the first', async () => {
    const data = { ...validOrderCreated(), orderId: 'x', currency: 'XYZ', total: '1' };

    const { issues } = await validateLikeLibrary(OrderCreated, data);

    expect(issues.map((issue) => issue.path).sort()).toEqual(['currency', 'orderId', 'total']);
  });

  it('names an unknown field when the consumer rejects unknown fields', async () => {
    const { issues } = await validateLikeLibrary(OrderCreated, { ...validOrderCreated(), coupon: 'X' }, 'reject');

    expect(issues).toEqual([{ path: 'coupon', reasons: ['property coupon should not exist'] }]);
  });

  it('drops an unknown field when the consumer strips unknown fields', async () => {
    const { instance, issues } = await validateLikeLibrary(OrderCreated, { ...validOrderCreated(), coupon: 'X' });

    expect(issues).toEqual([]);
    expect(instance).not.toHaveProperty('coupon');
  });
});
