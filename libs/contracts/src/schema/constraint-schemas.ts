// What each class-validator constraint used by the contracts means in JSON Schema, keyed by constraint name.
// A constraint missing here makes toJsonSchema throw, so a snapshot never silently leaves a rule out.
import {
  ARRAY_MAX_SIZE,
  ARRAY_MIN_SIZE,
  ARRAY_NOT_EMPTY,
  IS_ARRAY,
  IS_EMAIL,
  IS_IN,
  IS_INT,
  IS_LENGTH,
  IS_OBJECT,
  IS_STRING,
  IS_URL,
  IS_UUID,
  MATCHES,
  MAX,
  MAX_LENGTH,
  MIN,
  MIN_LENGTH,
} from 'class-validator';
import { IS_CURRENCY_CODE } from '../types/is-currency-code';
import { IS_EMAIL_ADDRESS, MAX_EMAIL_ADDRESS_LENGTH } from '../types/is-email-address';
import { decimalStringPattern, IS_DECIMAL_STRING, type DecimalStringOptions } from '../types/is-decimal-string';
import { IS_ISO_DATE_TIME_WITH_OFFSET } from '../types/is-iso-date-time-with-offset';
import type { JsonSchema, JsonSchemaType, JsonValue } from './json-schema-types';

/** Turns a constraint's arguments (ValidationMetadata.constraints) into the schema keywords it stands for. */
export type ConstraintSchema = (constraints: readonly unknown[]) => JsonSchema;

export const CONSTRAINT_SCHEMAS: ReadonlyMap<string, ConstraintSchema> = new Map<string, ConstraintSchema>([
  [IS_STRING, () => ({ type: 'string' })],
  [IS_INT, () => ({ type: 'integer' })],
  [IS_ARRAY, () => ({ type: 'array' })],
  [IS_OBJECT, () => ({ type: 'object' })],
  [MIN, ([min]) => ({ minimum: numberArg(min, MIN) })],
  [MAX, ([max]) => ({ maximum: numberArg(max, MAX) })],
  [
    IS_LENGTH,
    ([min, max]) => ({
      minLength: numberArg(min, IS_LENGTH),
      ...(max === undefined ? {} : { maxLength: numberArg(max, IS_LENGTH) }),
    }),
  ],
  [MIN_LENGTH, ([min]) => ({ minLength: numberArg(min, MIN_LENGTH) })],
  [MAX_LENGTH, ([max]) => ({ maxLength: numberArg(max, MAX_LENGTH) })],
  [MATCHES, ([pattern, modifiers]) => ({ type: 'string', pattern: patternSource(pattern, modifiers) })],
  [ARRAY_NOT_EMPTY, () => ({ minItems: 1 })],
  [ARRAY_MIN_SIZE, ([min]) => ({ minItems: numberArg(min, ARRAY_MIN_SIZE) })],
  [ARRAY_MAX_SIZE, ([max]) => ({ maxItems: numberArg(max, ARRAY_MAX_SIZE) })],
  [IS_IN, ([values]) => enumSchema(values)],
  [IS_UUID, () => ({ type: 'string', format: 'uuid' })],
  [IS_EMAIL, () => ({ type: 'string', format: 'email' })],
  [IS_EMAIL_ADDRESS, () => ({ type: 'string', format: 'email', maxLength: MAX_EMAIL_ADDRESS_LENGTH })],
  [IS_URL, ([options]) => urlSchema(options)],
  [IS_CURRENCY_CODE, () => ({ type: 'string', pattern: '^[A-Z]{3}$' })],
  [IS_ISO_DATE_TIME_WITH_OFFSET, () => ({ type: 'string', format: 'date-time' })],
  [IS_DECIMAL_STRING, ([options]) => ({ type: 'string', pattern: decimalStringPattern(options as DecimalStringOptions).source })],
]);

function numberArg(value: unknown, constraint: string): number {
  if (typeof value !== 'number') throw new TypeError(`${constraint}: expected a number argument, got ${String(value)}`);
  return value;
}

function patternSource(pattern: unknown, modifiers: unknown): string {
  const regex = pattern instanceof RegExp ? pattern : new RegExp(String(pattern), typeof modifiers === 'string' ? modifiers : '');
  // JSON Schema patterns carry no flags; a case-insensitive or multiline rule would be stated wrongly.
  if (regex.flags.replace('u', '') !== '') {
    throw new TypeError(`${MATCHES}: the flags "${regex.flags}" of /${regex.source}/ cannot be stated in JSON Schema`);
  }
  return regex.source;
}

function enumSchema(values: unknown): JsonSchema {
  if (!Array.isArray(values) || !values.every(isJsonValue)) {
    throw new TypeError(`${IS_IN}: only string, number, boolean or null values can be stated in JSON Schema`);
  }
  const types = new Set(values.map((value): JsonSchemaType => (value === null ? 'null' : jsonTypeOf(value))));
  const type = types.size === 1 ? { type: [...types][0] } : {};
  return values.length === 1 ? { ...type, const: values[0] } : { ...type, enum: [...values] };
}

function isJsonValue(value: unknown): value is JsonValue {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function jsonTypeOf(value: string | number | boolean): JsonSchemaType {
  return typeof value === 'string' ? 'string' : typeof value === 'number' ? 'number' : 'boolean';
}

function urlSchema(options: unknown): JsonSchema {
  const { protocols, require_protocol } = (options ?? {}) as { protocols?: string[]; require_protocol?: boolean };
  // format "uri" alone would also admit ftp: or mailto:; the pattern states the protocols the validator allows.
  const pattern = require_protocol && protocols?.length ? { pattern: `^(?:${protocols.join('|')})://` } : {};
  return { type: 'string', format: 'uri', ...pattern };
}
