// Exact arithmetic on decimal strings with two fraction digits (never floating point for money).

export function toCents(amount: string): bigint {
  const negative = amount.startsWith('-');
  const [whole, fraction = ''] = (negative ? amount.slice(1) : amount).split('.');
  const cents = BigInt(whole) * 100n + BigInt(fraction.padEnd(2, '0').slice(0, 2));
  return negative ? -cents : cents;
}

export function fromCents(cents: bigint): string {
  const negative = cents < 0n;
  const absolute = negative ? -cents : cents;
  const text = `${absolute / 100n}.${(absolute % 100n).toString().padStart(2, '0')}`;
  return negative ? `-${text}` : text;
}

export function lineTotal(items: ReadonlyArray<{ quantity: number; unitPrice: string }>): string {
  return fromCents(items.reduce((sum, item) => sum + toCents(item.unitPrice) * BigInt(item.quantity), 0n));
}
