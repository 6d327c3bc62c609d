// Describes a contract class as a JSON Schema (draft 2020-12), read from its class-validator and class-transformer
// metadata. Covers the decorators the contracts use (see constraint-schemas.ts) and throws on any other.
import { getMetadataStorage, IS_OPTIONAL, ValidationTypes } from 'class-validator';
import { isPresent } from '../types/is-omittable';
import { CONSTRAINT_SCHEMAS } from './constraint-schemas';
import type { JsonSchema } from './json-schema-types';
import { nestedTypeOf, type ClassRef } from './nested-type';

export type { JsonSchema, JsonSchemaType, JsonValue } from './json-schema-types';

// class-validator does not export this class from its entry point; its storage's return type names it.
type ValidationMetadata = ReturnType<ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']>[number];

const DRAFT = 'https://json-schema.org/draft/2020-12/schema';

// Keys in a fixed order, so a snapshot's text changes only when the contract does (not when decorators move).
const KEY_ORDER: readonly (keyof JsonSchema)[] = [
  '$schema',
  'title',
  'x-message-type',
  'x-schema-version',
  'type',
  'format',
  'pattern',
  'const',
  'enum',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'minItems',
  'maxItems',
  'items',
  'properties',
  'required',
  'oneOf',
];

/**
 * The JSON Schema of a contract class. A message class (one with `messageType` and `schemaVersion` statics) gets
 * them as `x-message-type` and `x-schema-version`. Unknown fields are left open (no `additionalProperties`):
 * whether they are stripped or rejected is each consumer's option, not part of the contract.
 */
export function toJsonSchema(type: ClassRef): JsonSchema {
  const statics = type as { messageType?: unknown; schemaVersion?: unknown };
  const schema: JsonSchema = { $schema: DRAFT };
  if (typeof statics.messageType === 'string') schema['x-message-type'] = statics.messageType;
  if (typeof statics.schemaVersion === 'number') schema['x-schema-version'] = statics.schemaVersion;
  return canonical({ ...schema, ...objectSchema(type, []) });
}

function objectSchema(type: ClassRef, enclosing: readonly ClassRef[]): JsonSchema {
  if (enclosing.includes(type)) {
    throw new Error(`toJsonSchema: ${type.name} contains itself; recursive shapes cannot be written inline`);
  }
  const metadatas = getMetadataStorage().getTargetValidationMetadatas(type, '', true, false);
  if (metadatas.length === 0) {
    throw new Error(`toJsonSchema: ${type.name} has no class-validator decorators, so every value of it is refused`);
  }
  const byProperty = new Map<string, ValidationMetadata[]>();
  for (const metadata of metadatas) {
    byProperty.set(metadata.propertyName, [...(byProperty.get(metadata.propertyName) ?? []), metadata]);
  }
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [property, propertyMetadatas] of byProperty) {
    const described = propertySchema(type, property, propertyMetadatas, [...enclosing, type]);
    properties[property] = described.schema;
    if (!described.optional) required.push(property);
  }
  return { title: type.name, type: 'object', properties, ...(required.length ? { required } : {}) };
}

function propertySchema(
  owner: ClassRef,
  property: string,
  metadatas: ValidationMetadata[],
  enclosing: readonly ClassRef[],
): { schema: JsonSchema; optional: boolean } {
  const where = `${owner.name}.${property}`;
  let schema: JsonSchema = {};
  let items: JsonSchema | undefined;
  let optional = false;
  let nullable = false;
  let nested: { each: boolean } | undefined;

  for (const metadata of metadatas) {
    switch (metadata.type) {
      case ValidationTypes.CONDITIONAL_VALIDATION:
        if (metadata.name === IS_OPTIONAL) {
          optional = true;
          nullable = true;
        } else if (metadata.constraints?.[0] === isPresent) {
          optional = true;
        } else {
          throw unsupported(where, 'a @ValidateIf condition (use @IsOmittable or @IsOptional)');
        }
        break;
      case ValidationTypes.NESTED_VALIDATION:
        nested = { each: metadata.each === true };
        break;
      case ValidationTypes.IS_DEFINED:
        break;
      case ValidationTypes.CUSTOM_VALIDATION: {
        const describe = metadata.name === undefined ? undefined : CONSTRAINT_SCHEMAS.get(metadata.name);
        if (!describe) throw unsupported(where, `the constraint "${metadata.name ?? metadata.constraintCls.name}"`);
        const fragment = describe(metadata.constraints ?? []);
        if (metadata.each) items = merge(items ?? {}, fragment, where);
        else schema = merge(schema, fragment, where);
        break;
      }
      default:
        throw unsupported(where, `the validation type "${metadata.type}"`);
    }
  }

  if (nested) {
    const target = nestedTypeOf(owner, property);
    if (!target) {
      throw new Error(`toJsonSchema: ${where} has @ValidateNested() but no @Type(), so it would stay a plain object`);
    }
    const shape =
      target.kind === 'union'
        ? { oneOf: target.subTypes.map((subType) => objectSchema(subType, enclosing)) }
        : objectSchema(target.type, enclosing);
    if (nested.each || schema.type === 'array') items = merge(items ?? {}, shape, where);
    else schema = merge(schema, shape, where);
  }
  if (items) schema = { ...merge(schema, { type: 'array' }, where), items };
  if (nullable && typeof schema.type === 'string') schema.type = [schema.type, 'null'];
  return { schema, optional };
}

function merge(into: JsonSchema, fragment: JsonSchema, where: string): JsonSchema {
  for (const key of Object.keys(fragment) as (keyof JsonSchema)[]) {
    if (key in into && JSON.stringify(into[key]) !== JSON.stringify(fragment[key])) {
      throw new Error(`toJsonSchema: ${where} has two different "${key}" rules; JSON Schema can state only one`);
    }
  }
  return { ...into, ...fragment };
}

function unsupported(where: string, what: string): Error {
  return new Error(`toJsonSchema: ${where} uses ${what}, which the generator cannot describe yet`);
}

function canonical(schema: JsonSchema): JsonSchema {
  const ordered: Record<string, unknown> = {};
  const keys = [...KEY_ORDER, ...(Object.keys(schema) as (keyof JsonSchema)[])];
  for (const key of keys) {
    if (!(key in schema) || key in ordered) continue;
    const value = schema[key];
    if (key === 'items') ordered[key] = canonical(value as JsonSchema);
    else if (key === 'oneOf') ordered[key] = (value as JsonSchema[]).map(canonical);
    else if (key === 'properties') {
      ordered[key] = Object.fromEntries(
        Object.entries(value as Record<string, JsonSchema>).map(([name, child]) => [name, canonical(child)]),
      );
    } else ordered[key] = value;
  }
  return ordered;
}
