// An e-mail address a person could have typed and a mail server deliver: class-validator's isEmail, and before it the
// checks it does not make. No unpaired surrogate (isEmail throws a URIError on one), no control or invisible format
// character (bidirectional overrides, zero-width spaces: an address that reads as another), at most 254 characters
// (the longest path RFC 5321 allows).
import { buildMessage, isEmail, ValidateBy, type ValidationOptions } from 'class-validator';
import { isWellFormedText } from '@app/messaging-core';

export const IS_EMAIL_ADDRESS = 'isEmailAddress';

/** RFC 5321: a path holds at most 256 octets, two of them the angle brackets. */
export const MAX_EMAIL_ADDRESS_LENGTH = 254;

// Cc: control characters; Cf: format characters (U+200B-U+200F, U+202A-U+202E, U+2066-U+2069, U+FEFF...); Zl, Zp: line
// and paragraph separators.
const CONTROL_OR_INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

export function isEmailAddress(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length <= MAX_EMAIL_ADDRESS_LENGTH &&
    isWellFormedText(value) &&
    !CONTROL_OR_INVISIBLE.test(value) &&
    isEmail(value)
  );
}

export function IsEmailAddress(validationOptions?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: IS_EMAIL_ADDRESS,
      validator: {
        validate: (value: unknown) => isEmailAddress(value),
        defaultMessage: buildMessage((each) => `${each}$property must be an email address`, validationOptions),
      },
    },
    validationOptions,
  );
}
