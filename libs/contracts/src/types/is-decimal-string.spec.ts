// Specs for IsDecimalString: the exact spellings of an amount that pass for a given scale and sign option.
import { reasonsAt, validateLikeLibrary } from '../testing/validate-like-library';
import { IsDecimalString } from './is-decimal-string';

class Cents {
  @IsDecimalString({ scale: 2 })
  amount!: string;
}

class SignedCents {
  @IsDecimalString({ scale: 2, allowNegative: true })
  amount!: string;
}

/** A numeric(14, 2) column: 12 digits before the point. */
class ColumnCents {
  @IsDecimalString({ scale: 2, maxIntegerDigits: 12 })
  amount!: string;
}

class Whole {
  @IsDecimalString({ scale: 0 })
  amount!: string;
}

async function reasonsFor(type: new () => object, amount: unknown): Promise<string[]> {
  return reasonsAt((await validateLikeLibrary(type, { amount })).issues, 'amount');
}

describe('IsDecimalString', () => {
  describe('with scale 2', () => {
    it.each([
      ['a plain amount', '12.50'],
      ['zero', '0.00'],
      ['less than one', '0.99'],
      ['18 integer digits', '999999999999999999.99'],
    ])('accepts %s', async (_case, amount) => {
      expect(await reasonsFor(Cents, amount)).toEqual([]);
    });

    it.each([
      ['one fraction digit', '12.5'],
      ['no fraction', '12'],
      ['three fraction digits', '12.500'],
      ['a negative amount', '-1.00'],
      ['a leading plus', '+1.00'],
      ['an exponent', '1.25e2'],
      ['a leading zero', '012.50'],
      ['19 integer digits', '1000000000000000000.00'],
      ['a decimal comma', '12,50'],
      ['surrounding spaces', ' 12.50 '],
      ['no integer part', '.50'],
      ['a JSON number', 12.5],
    ])('rejects %s with a reason naming the field', async (_case, amount) => {
      expect(await reasonsFor(Cents, amount)).toEqual([
        expect.stringMatching(/^amount must be a decimal string with exactly 2 fraction digits, like "12\.50"/),
      ]);
    });

    it('says in the reason that negative amounts are refused', async () => {
      expect((await reasonsFor(Cents, '-1.00'))[0]).toContain('not negative');
    });
  });

  describe('with allowNegative', () => {
    it.each(['-1.00', '-0.50', '1.00'])('accepts %s', async (amount) => {
      expect(await reasonsFor(SignedCents, amount)).toEqual([]);
    });

    it.each(['--1.00', '-1.0', '- 1.00'])('rejects %s', async (amount) => {
      expect(await reasonsFor(SignedCents, amount)).toHaveLength(1);
    });
  });

  describe('with scale 0', () => {
    it.each(['12', '0'])('accepts %s', async (amount) => {
      expect(await reasonsFor(Whole, amount)).toEqual([]);
    });

    it.each(['12.0', '12.', '012'])('rejects %s as not a whole number', async (amount) => {
      expect(await reasonsFor(Whole, amount)).toEqual([expect.stringMatching(/^amount must be a whole number/)]);
    });
  });

  it.each([-1, 1.5, Number.NaN])('refuses a contract declared with scale %s', (scale) => {
    expect(() => IsDecimalString({ scale })).toThrow('option "scale" must be an integer >= 0');
  });

  describe('with maxIntegerDigits (the precision of the column that stores the amount)', () => {
    it('accepts the largest amount the column holds and refuses one more digit, saying how many are allowed', async () => {
      expect(await reasonsFor(ColumnCents, '999999999999.99')).toEqual([]);
      expect(await reasonsFor(ColumnCents, '1000000000000.00')).toEqual([expect.stringContaining('at most 12 integer digits')]);
    });

    it.each([0, 19, 2.5])('refuses a contract declared with maxIntegerDigits %s', (maxIntegerDigits) => {
      expect(() => IsDecimalString({ scale: 2, maxIntegerDigits })).toThrow('option "maxIntegerDigits" must be an integer from 1 to 18');
    });
  });
});
