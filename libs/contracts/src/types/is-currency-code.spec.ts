// Specs for IsCurrencyCode: assigned ISO 4217 codes in uppercase pass, with one reason for everything else.
import { reasonsAt, validateLikeLibrary } from '../testing/validate-like-library';
import { IsCurrencyCode } from './is-currency-code';

class Probe {
  @IsCurrencyCode()
  currency!: string;
}

async function reasonsFor(currency: unknown): Promise<string[]> {
  return reasonsAt((await validateLikeLibrary(Probe, { currency })).issues, 'currency');
}

describe('IsCurrencyCode', () => {
  it.each(['EUR', 'USD', 'JPY', 'CHF'])('accepts %s', async (currency) => {
    expect(await reasonsFor(currency)).toEqual([]);
  });

  it.each([
    ['a lowercase code', 'eur'],
    ['a mixed-case code', 'Eur'],
    ['two letters', 'EU'],
    ['four letters', 'EURO'],
    ['an unassigned code', 'ABC'],
    ['the numeric code', '978'],
    ['a number', 978],
    ['an empty string', ''],
  ])('rejects %s with one reason naming the field', async (_case, currency) => {
    expect(await reasonsFor(currency)).toEqual(['currency must be an ISO 4217 currency code in uppercase, like "EUR"']);
  });
});
