// An ISO 4217 currency code, written as three uppercase letters. One check, not two, so a bad code gets one reason.
import { buildMessage, isISO4217CurrencyCode, ValidateBy, type ValidationOptions } from 'class-validator';

export const IS_CURRENCY_CODE = 'isCurrencyCode';

// class-validator's check upper-cases the input first; "eur" is refused here so every service sees one spelling.
const THREE_UPPERCASE_LETTERS = /^[A-Z]{3}$/;

export function isCurrencyCode(value: unknown): value is string {
  return typeof value === 'string' && THREE_UPPERCASE_LETTERS.test(value) && isISO4217CurrencyCode(value);
}

export function IsCurrencyCode(validationOptions?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: IS_CURRENCY_CODE,
      validator: {
        validate: (value: unknown) => isCurrencyCode(value),
        defaultMessage: buildMessage(
          (each) => `${each}$property must be an ISO 4217 currency code in uppercase, like "EUR"`,
          validationOptions,
        ),
      },
    },
    validationOptions,
  );
}
