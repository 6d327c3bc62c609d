// A fast first pass over class-validator's own metadata and constraint functions, for the common case: a valid
// message. class-validator looks up and groups every class's metadata on each call (a scan of all registered classes)
// and builds an error object per property; here that work is done once per class, and a message is checked with the
// same constraint functions, the same arguments and the same whitelist rule. The pass answers only "valid" (the
// instance is then exactly what class-validator would have accepted, stripped the same way) or "not sure": anything
// invalid, asynchronous or unusual goes to class-validator itself, which reports the issues. Equivalence with
// class-validator is checked by compiled-validation.spec.ts over many generated inputs.
import { TransformationType } from 'class-transformer';
import { getMetadataStorage, ValidationTypes, type ValidationArguments } from 'class-validator';
import { classTransformerMetadata as defaultMetadataStorage } from './class-transformer-metadata';
import type { ValidateMessageOptions } from './validation-options';

/** What class-validator keeps for each decorator (its ValidationMetadata, not exported as a type). */
interface Metadata {
  type: string;
  name?: string;
  target: unknown;
  propertyName: string;
  constraintCls: new (...args: unknown[]) => unknown;
  constraints: unknown[];
  each: boolean;
  validateIf?: (object: object, value: unknown) => boolean;
}

interface ConstraintMetadata {
  async: boolean;
  instance: { validate(value: unknown, args: ValidationArguments): unknown };
}

/** One decorator's check, prepared once per class: its constraint functions and the arguments object they get. */
interface Check {
  metadata: Metadata;
  constraints: ConstraintMetadata[];
  /**
   * Handed to every call of the constraints, its object and value set just before: one object per decorator rather
   * than one per decorator per message. The fast pass runs synchronous constraints only, which read it during the call.
   */
  args: ValidationArguments;
}

interface PropertyPlan {
  name: string;
  conditions: Metadata[];
  defined: Check[];
  custom: Check[];
  nested: boolean;
  /** The schema class-validator hands a nested object: the declaring class's name. */
  nestedSchema?: string;
}

interface ClassPlan {
  /** Property names with any metadata: the whitelist. */
  allowed: Set<string>;
  properties: PropertyPlan[];
  /** Metadata the fast pass does not run (async constraints, promise validation, unknown kinds): always fall back. */
  unsupported: boolean;
  /**
   * The class can be built from JSON by plain assignment, as class-transformer would build it: no nested validation,
   * no @Type, @Transform, @Expose or @Exclude anywhere on it. Declared properties that must not be assigned (methods,
   * getters) are listed apart.
   */
  plainlyBuilt: boolean;
  notAssignable: Set<string>;
}

const SUPPORTED = new Set<string>([
  ValidationTypes.CUSTOM_VALIDATION,
  ValidationTypes.NESTED_VALIDATION,
  ValidationTypes.CONDITIONAL_VALIDATION,
  ValidationTypes.WHITELIST,
  ValidationTypes.IS_DEFINED,
]);

/** A class, the key of both libraries' metadata (they type it as Function). */
type ClassRef = abstract new (...args: never[]) => unknown;

const plans = new WeakMap<ClassRef, Map<string | undefined, ClassPlan>>();

/** Marker: the fast pass cannot vouch for the object; ask class-validator. */
const NOT_SURE = false;

/** Undeclared fields: deleted ('strip'), or the object is left to class-validator to report ('reject'). */
type FastPassOptions = ValidateMessageOptions;

/**
 * True if class-validator, called as validateMessage calls it (whitelist, no groups, forbidUnknownValues off), would
 * find no error in `object`; undeclared fields are then deleted as it would delete them. False means "not sure".
 */
export function passesFastValidation(object: object, options: FastPassOptions): boolean {
  return checkObject(object, undefined, options);
}

/**
 * An instance of `type` with the declared fields of `data`, as class-transformer's plainToInstance would build it,
 * when the class needs none of class-transformer's features; undefined when it does (or `data` has fields that
 * 'reject' must report), and the caller should use class-transformer.
 */
export function buildPlainly<T extends object>(type: new () => T, data: Record<string, unknown>, options: FastPassOptions): T | undefined {
  const plan = planFor(type, undefined);
  if (!plan.plainlyBuilt) return undefined;
  const instance = new type() as Record<string, unknown>;
  for (const key of Object.keys(data)) {
    if (!plan.allowed.has(key)) {
      // 'strip' would drop it anyway; 'reject' needs class-validator to name it.
      if (options.unknownFields === 'reject') return undefined;
      continue;
    }
    // class-transformer's rule: no getter without a setter on the class itself, no method.
    if (!plan.notAssignable.has(key) && !(instance[key] instanceof Function)) instance[key] = data[key];
  }
  return instance as T;
}

function checkObject(object: object, schema: string | undefined, options: FastPassOptions): boolean {
  if (typeof object.constructor !== 'function') return NOT_SURE;
  const plan = planFor(object.constructor as ClassRef, schema);
  if (plan.unsupported) return NOT_SURE;
  const record = object as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (plan.allowed.has(key)) continue;
    if (options.unknownFields === 'reject') return NOT_SURE;
    delete record[key];
  }
  for (const property of plan.properties) {
    const value = record[property.name];
    if (!conditionsHold(property.conditions, object, value)) continue;
    if (!constraintsHold(property.defined, object, value)) return NOT_SURE;
    if (!constraintsHold(property.custom, object, value)) return NOT_SURE;
    if (property.nested && !nestedHolds(value, property, object, options)) return NOT_SURE;
  }
  return true;
}

function conditionsHold(conditions: Metadata[], object: object, value: unknown): boolean {
  for (const condition of conditions) {
    if (!(condition.constraints[0] as (object: object, value: unknown) => boolean)(object, value)) return false;
  }
  return true;
}

function constraintsHold(checks: Check[], object: object, value: unknown): boolean {
  for (const { metadata, constraints, args } of checks) {
    if (metadata.validateIf && !metadata.validateIf(object, value)) continue;
    args.targetName = object.constructor ? object.constructor.name : (undefined as unknown as string);
    args.object = object;
    args.value = value;
    for (const constraint of constraints) {
      if (constraint.async) return NOT_SURE;
      const { instance } = constraint;
      if (metadata.each && (Array.isArray(value) || value instanceof Set || value instanceof Map)) {
        const items: unknown[] = value instanceof Map ? [...value.values()] : [...value];
        for (const item of items) if (!isTrue(instance.validate(item, args))) return NOT_SURE;
      } else if (!isTrue(instance.validate(value, args))) {
        return NOT_SURE;
      }
    }
  }
  return true;
}

/** A constraint that answers with a promise is left to class-validator (which awaits it). */
function isTrue(result: unknown): boolean {
  return result === true || (Boolean(result) && !(result instanceof Promise) && typeof (result as { then?: unknown }).then !== 'function');
}

function nestedHolds(value: unknown, property: PropertyPlan, object: object, options: FastPassOptions): boolean {
  if (value === undefined) return true;
  if (Array.isArray(value) || value instanceof Set || value instanceof Map) {
    const items: unknown[] = value instanceof Set ? [...value] : value instanceof Map ? [...value.values()] : value;
    // Each item is checked as class-validator checks it: an object as its own class, an array item by item again.
    return items.every((item) => item !== undefined && nestedHolds(item, property, object, options));
  }
  if (!(value instanceof Object)) return NOT_SURE;
  // class-validator passes the declaring class's name as the schema of the nested object.
  return checkObject(value, property.nestedSchema, options);
}

function constraintsOf(metadata: Metadata): ConstraintMetadata[] {
  return getMetadataStorage().getTargetValidatorConstraints(metadata.constraintCls);
}

function planFor(type: ClassRef, schema: string | undefined): ClassPlan {
  let bySchema = plans.get(type);
  if (!bySchema) {
    bySchema = new Map();
    plans.set(type, bySchema);
  }
  let plan = bySchema.get(schema);
  if (!plan) {
    plan = compile(type, schema);
    bySchema.set(schema, plan);
  }
  return plan;
}

function compile(type: ClassRef, schema: string | undefined): ClassPlan {
  const storage = getMetadataStorage();
  const metadatas = storage.getTargetValidationMetadatas(type, schema as string, false, false, undefined) as unknown as Metadata[];
  const grouped = new Map<string, Metadata[]>();
  for (const metadata of metadatas) {
    const list = grouped.get(metadata.propertyName) ?? [];
    list.push(metadata);
    grouped.set(metadata.propertyName, list);
  }
  let unsupported = false;
  let hasNested = false;
  const notAssignable = new Set<string>(['__proto__', 'constructor', 'prototype']);
  const properties: PropertyPlan[] = [];
  for (const [name, list] of grouped) {
    for (const metadata of list) {
      if (!SUPPORTED.has(metadata.type)) unsupported = true;
      if (metadata.type === ValidationTypes.CUSTOM_VALIDATION || metadata.type === ValidationTypes.IS_DEFINED) {
        if (constraintsOf(metadata).some((constraint) => constraint.async)) unsupported = true;
      }
    }
    const nestedMetadata = list.find((metadata) => metadata.type === ValidationTypes.NESTED_VALIDATION);
    const nested = nestedMetadata !== undefined;
    hasNested ||= nested;
    if (!isPlainProperty(type, name)) notAssignable.add(name);
    const checks = (kind: string): Check[] =>
      list
        .filter((metadata) => metadata.type === kind)
        .map((metadata) => ({
          metadata,
          constraints: constraintsOf(metadata),
          args: { targetName: '', property: metadata.propertyName, object: {}, value: undefined, constraints: metadata.constraints },
        }));
    properties.push({
      name,
      conditions: list.filter((metadata) => metadata.type === ValidationTypes.CONDITIONAL_VALIDATION),
      defined: checks(ValidationTypes.IS_DEFINED),
      custom: checks(ValidationTypes.CUSTOM_VALIDATION),
      nested,
      nestedSchema:
        nestedMetadata && (typeof nestedMetadata.target === 'string' ? nestedMetadata.target : (nestedMetadata.target as ClassRef).name),
    });
  }
  const allowed = new Set(grouped.keys());
  const plainlyBuilt = !unsupported && !hasNested && !usesClassTransformer(type, allowed);
  return { allowed, properties, unsupported, plainlyBuilt, notAssignable };
}

function usesClassTransformer(type: ClassRef, properties: Set<string>): boolean {
  if (defaultMetadataStorage.getStrategy(type) !== 'none') return true;
  if (defaultMetadataStorage.getExposedMetadatas(type).length > 0 || defaultMetadataStorage.getExcludedMetadatas(type).length > 0) {
    return true;
  }
  for (const property of properties) {
    if (defaultMetadataStorage.findTypeMetadata(type, property)) return true;
    if (defaultMetadataStorage.findTransformMetadatas(type, property, TransformationType.PLAIN_TO_CLASS).length > 0) return true;
  }
  return false;
}

/** class-transformer does not assign a property that the class's own prototype defines without a setter. */
function isPlainProperty(type: ClassRef, name: string): boolean {
  const descriptor = Object.getOwnPropertyDescriptor(type.prototype as object, name);
  return !descriptor || descriptor.set !== undefined;
}
