// A UUID field: any RFC 9562 version (1-8), in either letter case. The nil and max UUIDs are refused: in an id
// field they nearly always mean "never set" rather than a real identity.
import { buildMessage, IsUUID, type ValidationOptions } from 'class-validator';

export function IsUuidField(validationOptions?: ValidationOptions): PropertyDecorator {
  return IsUUID(['1', '2', '3', '4', '5', '6', '7', '8'], {
    message: buildMessage(
      (each) => `${each}$property must be a UUID (version 1-8), like "3f2b8c1e-4d5a-4b6c-8d7e-9f0a1b2c3d4e"`,
      validationOptions,
    ),
    ...validationOptions,
  });
}
