// A decimal number carried as a string with a fixed count of fraction digits, so amounts keep their exact value
// between services (a JSON number would pass through binary floating point).
import { buildMessage, ValidateBy, type ValidationOptions } from 'class-validator';

export const IS_DECIMAL_STRING = 'isDecimalString';

export interface DecimalStringOptions {
  /** Exact count of digits after the point; 0 means no point at all. */
  scale: number;
  /** Accept a leading "-". Default: false. */
  allowNegative?: boolean;
  /**
   * Most digits before the point: the amount's precision. Default (and most) 18, which still fits a 64-bit integer
   * once the fraction is dropped; give the precision of the column that stores the amount, so that an amount the
   * check passes is one the database takes.
   */
  maxIntegerDigits?: number;
}

/** Largest integer part accepted: 18 digits still fits a 64-bit integer once the fraction is dropped. */
const MAX_INTEGER_DIGITS = 18;

function integerDigitsOf(options: DecimalStringOptions): number {
  const digits = options.maxIntegerDigits ?? MAX_INTEGER_DIGITS;
  if (!Number.isInteger(digits) || digits < 1 || digits > MAX_INTEGER_DIGITS) {
    throw new TypeError(
      `IsDecimalString: option "maxIntegerDigits" must be an integer from 1 to ${MAX_INTEGER_DIGITS}, got ${String(digits)}`,
    );
  }
  return digits;
}

/** The pattern a decimal string must match; also what the JSON Schema snapshot states. */
export function decimalStringPattern(options: DecimalStringOptions): RegExp {
  // A wrong scale is a bug in a contract class: fail when the class loads, not on the first message.
  if (!Number.isInteger(options.scale) || options.scale < 0) {
    throw new TypeError(`IsDecimalString: option "scale" must be an integer >= 0, got ${String(options.scale)}`);
  }
  const sign = options.allowNegative ? '-?' : '';
  // No leading zeros, so each amount has one spelling ("012.50" and "12.50" are not both valid).
  const integer = `(?:0|[1-9]\\d{0,${integerDigitsOf(options) - 1}})`;
  const fraction = options.scale > 0 ? `\\.\\d{${options.scale}}` : '';
  return new RegExp(`^${sign}${integer}${fraction}$`);
}

export function isDecimalString(value: unknown, options: DecimalStringOptions): value is string {
  return typeof value === 'string' && decimalStringPattern(options).test(value);
}

export function IsDecimalString(options: DecimalStringOptions, validationOptions?: ValidationOptions): PropertyDecorator {
  const pattern = decimalStringPattern(options);
  const shape =
    options.scale === 0
      ? 'a whole number as a string, like "12"'
      : `a decimal string with exactly ${options.scale} fraction digit${options.scale === 1 ? '' : 's'}, ` +
        `like "12.${'5'.padEnd(options.scale, '0')}"`;
  const sign = options.allowNegative ? '' : ', not negative';
  return ValidateBy(
    {
      name: IS_DECIMAL_STRING,
      constraints: [{ ...options }],
      validator: {
        validate: (value: unknown) => typeof value === 'string' && pattern.test(value),
        defaultMessage: buildMessage(
          (each) =>
            `${each}$property must be ${shape}` +
            ` (no exponent, no "+", no leading zeros, at most ${integerDigitsOf(options)} integer digits${sign})`,
          validationOptions,
        ),
      },
    },
    validationOptions,
  );
}
