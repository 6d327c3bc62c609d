// Specs for the order total check: lines within the contract's limits whose total the column cannot hold are refused
// at validation (a 400 with the reason), not by the database (a 500).
import { validate } from 'class-validator';
import { plainToInstance } from 'class-transformer';
import { fitsOrderTotal, MAX_ORDER_TOTAL } from './order-total';
import { PlaceOrderRequest } from './place-order.request';

const line = (quantity: number, unitPrice: string) => ({ sku: 'A', quantity, unitPrice });

describe('fitsOrderTotal', () => {
  it('accepts a total up to what numeric(14, 2) holds, and refuses a cent more', () => {
    expect(MAX_ORDER_TOTAL).toBe('999999999999.99');
    expect(fitsOrderTotal([line(1, '999999999999.99')])).toBe(true);
    expect(fitsOrderTotal([line(1, '999999999999.99'), line(1, '0.01')])).toBe(false);
  });

  it('refuses the largest lines the contract allows: 18-digit prices times 10000', () => {
    expect(fitsOrderTotal(Array.from({ length: 100 }, () => line(10_000, '999999999999999999.99')))).toBe(false);
  });

  it('leaves broken lines to their own checks', () => {
    expect(fitsOrderTotal([line(1.5, '1.00')])).toBe(true);
    expect(fitsOrderTotal([{ sku: 'A' }])).toBe(true);
    expect(fitsOrderTotal('not lines')).toBe(true);
  });
});

describe('PlaceOrderRequest', () => {
  it('reports a total past the column at items, with the largest total allowed', async () => {
    const request = plainToInstance(PlaceOrderRequest, {
      customerId: '3f2b8c1e-4d5a-4b6c-8d7e-9f0a1b2c3d4e',
      email: 'ada@example.com',
      currency: 'EUR',
      items: [line(10_000, '999999999999.00')],
    });

    const errors = await validate(request);

    expect(errors.map((error) => [error.property, Object.values(error.constraints ?? {})])).toEqual([
      ['items', ["the order's total must be at most 999999999999.99"]],
    ]);
  });

  it.each(['a\u202eb@example.com', 'a\u200bb@example.com', 'a\ud800@example.com'])(
    'refuses the e-mail address %p without throwing',
    async (email) => {
      const request = plainToInstance(PlaceOrderRequest, {
        customerId: '3f2b8c1e-4d5a-4b6c-8d7e-9f0a1b2c3d4e',
        email,
        currency: 'EUR',
        items: [line(1, '1.00')],
      });

      const errors = await validate(request);

      expect(errors.map((error) => error.property)).toEqual(['email']);
    },
  );
});
