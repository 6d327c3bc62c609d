// The order's total, checked where the request is validated: lines that each pass the contract's limits can still add
// up to more than the total's column holds, and that must be a 400 with the reason, not a database error (a 500).
import { isDecimalString } from '@app/contracts';
import { ValidateBy, type ValidationOptions } from 'class-validator';
import { lineTotal } from './money';
import { ORDER_TOTAL_COLUMN } from './order.schema';

export const FITS_ORDER_TOTAL = 'fitsOrderTotal';

const TOTAL_INTEGER_DIGITS = ORDER_TOTAL_COLUMN.precision - ORDER_TOTAL_COLUMN.scale;

/** The largest total the column holds: 999999999999.99. */
export const MAX_ORDER_TOTAL = `${'9'.repeat(TOTAL_INTEGER_DIGITS)}.${'9'.repeat(ORDER_TOTAL_COLUMN.scale)}`;

/** False only for lines that are themselves valid and whose total has more integer digits than the column. */
export function fitsOrderTotal(items: unknown): boolean {
  if (!Array.isArray(items)) return true;
  const lines: Array<{ quantity: number; unitPrice: string }> = [];
  for (const item of items) {
    const { quantity, unitPrice } = (item ?? {}) as { quantity?: unknown; unitPrice?: unknown };
    // A broken line is reported by its own checks; the sum of broken lines means nothing.
    if (!Number.isSafeInteger(quantity) || !isDecimalString(unitPrice, { scale: 2 })) return true;
    lines.push({ quantity: quantity as number, unitPrice });
  }
  const total = lineTotal(lines);
  return total.split('.')[0].replace('-', '').length <= TOTAL_INTEGER_DIGITS;
}

export function FitsOrderTotal(validationOptions?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: FITS_ORDER_TOTAL,
      validator: {
        validate: (value: unknown) => fitsOrderTotal(value),
        defaultMessage: () => `the order's total must be at most ${MAX_ORDER_TOTAL}`,
      },
    },
    validationOptions,
  );
}
