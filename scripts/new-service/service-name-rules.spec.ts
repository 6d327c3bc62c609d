// The rules for a new service's name, and the forms of it the templates use.
import { classPrefix, databaseIdentifier, MAX_NAME_LENGTH, nameProblem, variablePrefix } from './service-name-rules';

describe('nameProblem', () => {
  it.each(['billing', 'billing-eu', 'b2b', 'payments-v2', 'x'.repeat(MAX_NAME_LENGTH)])('accepts %s', (name) => {
    expect(nameProblem(name)).toBeUndefined();
  });

  it.each([
    ['', /is required/],
    ['Billing', /not a valid service name/],
    ['2fa', /not a valid service name/],
    ['-billing', /not a valid service name/],
    ['billing-', /not a valid service name/],
    ['pay--ments', /not a valid service name/],
    ['billing_eu', /not a valid service name/],
    ['billing.eu', /not a valid service name/],
    ['bill ing', /not a valid service name/],
    ['x'.repeat(MAX_NAME_LENGTH + 1), /too long/],
    ['all', /reserved/],
    ['libs', /reserved/],
    ['test', /reserved/],
    ['delay', /reserved/],
    ['postgres', /reserved/],
  ])('refuses "%s" with the reason', (name, reason) => {
    expect(nameProblem(name)).toMatch(reason);
  });
});

describe('classPrefix', () => {
  it.each([
    ['billing', 'Billing'],
    ['billing-eu', 'BillingEu'],
    ['b2b-orders', 'B2bOrders'],
    ['payments-v2', 'PaymentsV2'],
  ])('makes %s into %s', (name, prefix) => {
    expect(classPrefix(name)).toBe(prefix);
  });
});

describe('variablePrefix', () => {
  it.each([
    ['billing', 'billing'],
    ['billing-eu', 'billingEu'],
    ['payments-v2', 'paymentsV2'],
  ])('makes %s into %s', (name, prefix) => {
    expect(variablePrefix(name)).toBe(prefix);
  });
});

describe('databaseIdentifier', () => {
  it('leaves a plain name as it is and quotes one with a dash', () => {
    expect(databaseIdentifier('billing')).toBe('billing');
    expect(databaseIdentifier('billing-eu')).toBe('"billing-eu"');
  });
});
