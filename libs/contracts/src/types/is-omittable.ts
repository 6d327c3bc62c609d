// Marks a field that may be left out of a message. Unlike @IsOptional(), null is still checked (and so refused),
// which keeps the TypeScript type honest: an omittable `url?: string` is a string or absent, never null.
import { ValidateIf, type ValidationOptions } from 'class-validator';

/** The condition behind IsOmittable; the JSON Schema generator recognises it by identity. */
export const isPresent = (_object: object, value: unknown): boolean => value !== undefined;

export function IsOmittable(validationOptions?: ValidationOptions): PropertyDecorator {
  return ValidateIf(isPresent, validationOptions);
}
