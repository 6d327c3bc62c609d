// Specs for OrderLine: the limits on sku, quantity and unit price, each reported at its field.
import { reasonsAt, validateLikeLibrary } from '../testing/validate-like-library';
import { OrderLine } from './order-line';

const VALID_LINE = { sku: 'BOOK-978.3_1', quantity: 2, unitPrice: '12.50' };

describe('OrderLine', () => {
  it('accepts a valid line', async () => {
    expect((await validateLikeLibrary(OrderLine, VALID_LINE, 'reject')).issues).toEqual([]);
  });

  it.each([
    ['sku', '', /^sku must be longer than or equal to 1 characters$/],
    ['sku', 'A'.repeat(65), /^sku must be shorter than or equal to 64 characters$/],
    ['sku', 'BOOK 1', /^sku may only contain letters, digits, "\.", "_" and "-"$/],
    ['sku', 'BÜCHER-1', /^sku may only contain/],
    ['quantity', 0, /^quantity must not be less than 1$/],
    ['quantity', 10_001, /^quantity must not be greater than 10000$/],
    ['quantity', 1.5, /^quantity must be an integer number$/],
    ['quantity', '2', /^quantity must be an integer number$/],
    ['unitPrice', '12.5', /^unitPrice must be a decimal string with exactly 2 fraction digits/],
    ['unitPrice', 12.5, /^unitPrice must be a decimal string/],
  ])('rejects %s %p with a reason at its path', async (field, value, reason) => {
    const { issues } = await validateLikeLibrary(OrderLine, { ...VALID_LINE, [field]: value });

    expect(reasonsAt(issues, field)).toContainEqual(expect.stringMatching(reason));
  });

  it('accepts the largest quantity', async () => {
    expect((await validateLikeLibrary(OrderLine, { ...VALID_LINE, quantity: 10_000 })).issues).toEqual([]);
  });
});
