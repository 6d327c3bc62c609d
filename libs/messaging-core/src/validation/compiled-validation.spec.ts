import { plainToInstance, Transform, Type } from 'class-transformer';
import {
  Allow,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Max,
  Min,
  Validate,
  ValidateIf,
  ValidateNested,
  ValidatorConstraint,
  validate,
  type ValidationArguments,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { buildPlainly, passesFastValidation } from './compiled-validation';
import { checkMessage } from './validate-message';

@ValidatorConstraint({ name: 'lessThanField' })
class LessThanField implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    const other = (args.object as Record<string, unknown>)[args.constraints[0] as string];
    return typeof value === 'number' && typeof other === 'number' && value < other;
  }
}

@ValidatorConstraint({ name: 'slowCheck', async: true })
class SlowCheck implements ValidatorConstraintInterface {
  async validate(value: unknown): Promise<boolean> {
    return value === 'ok';
  }
}

class Flat {
  static readonly messageType = 'test.flat';
  @IsString() @Length(2, 5) code!: string;
  @IsInt() @Min(0) @Max(10) count!: number;
  @IsOptional() @IsEmail() email?: string;
  @IsIn(['a', 'b']) kind!: string;
  @IsOptional() @IsString({ each: true }) tags?: string[];
  @IsBoolean() @ValidateIf((object: Flat) => object.kind === 'b') flag?: boolean;
  @IsDefined() present!: unknown;
  @Allow() anything?: unknown;
  @Validate(LessThanField, ['count']) @IsOptional() low?: number;
}

class Base {
  @IsUUID() id!: string;
}

class Child extends Base {
  static readonly messageType = 'test.child';
  @IsInt() n!: number;
  describe(): string {
    return `${this.id}:${this.n}`;
  }
}

class Line {
  @IsString() sku!: string;
  @IsInt() @Min(1) quantity!: number;
}

class Nested {
  static readonly messageType = 'test.nested';
  @IsString() name!: string;
  @ValidateNested() @Type(() => Line) main!: Line;
  @IsOptional() @IsArray() @ArrayMinSize(1) @ValidateNested({ each: true }) @Type(() => Line) lines?: Line[];
}

class Transformed {
  static readonly messageType = 'test.transformed';
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value)) @IsString() @Length(1, 3) word!: string;
}

class Slow {
  static readonly messageType = 'test.slow';
  @Validate(SlowCheck) value!: string;
}

/** A small deterministic generator, so that a failure is reproducible. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
}

const SCALARS: unknown[] = [
  '',
  'a',
  'b',
  'ab',
  'abcdef',
  '  x  ',
  'ada@example.com',
  'not-an-email',
  '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
  0,
  1,
  5,
  10,
  11,
  -1,
  2.5,
  true,
  false,
  null,
];

function pick<T>(next: () => number, values: readonly T[]): T {
  return values[Math.floor(next() * values.length)];
}

function value(next: () => number, depth: number): unknown {
  const roll = next();
  if (depth < 2 && roll < 0.1) return Array.from({ length: Math.floor(next() * 3) }, () => value(next, depth + 1));
  if (depth < 2 && roll < 0.2) return line(next, depth + 1);
  return pick(next, SCALARS);
}

function line(next: () => number, depth: number): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  if (next() < 0.9) data.sku = next() < 0.8 ? 'SKU-1' : value(next, depth + 1);
  if (next() < 0.9) data.quantity = next() < 0.7 ? 1 + Math.floor(next() * 3) : value(next, depth + 1);
  if (next() < 0.1) data.extra = 'x';
  return data;
}

/** Mostly plausible messages of `fields`, each field sometimes missing, wrong or joined by an undeclared one. */
function generate(next: () => number, fields: Record<string, () => unknown>): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [name, good] of Object.entries(fields)) {
    const roll = next();
    if (roll < 0.75) data[name] = good();
    else if (roll < 0.95) data[name] = value(next, 0);
  }
  if (next() < 0.15) data.undeclared = value(next, 1);
  // JSON, as a message body is.
  return JSON.parse(JSON.stringify(data)) as Record<string, unknown>;
}

type Mode = 'strip' | 'reject';

async function reference(type: new () => object, data: Record<string, unknown>, mode: Mode): Promise<{ valid: boolean; instance: object }> {
  const instance = plainToInstance(type, structuredClone(data));
  const errors = await validate(instance, { whitelist: true, forbidNonWhitelisted: mode === 'reject', forbidUnknownValues: false });
  return { valid: errors.length === 0, instance };
}

function fast(type: new () => object, data: Record<string, unknown>, mode: Mode): { valid: boolean; instance: object } {
  const copy = structuredClone(data);
  const instance = buildPlainly(type, copy, { unknownFields: mode }) ?? plainToInstance(type, copy);
  return { valid: passesFastValidation(instance, { unknownFields: mode }), instance };
}

const CASES: Array<{ type: new () => object; fields: (next: () => number) => Record<string, () => unknown> }> = [
  {
    type: Flat,
    fields: (next) => ({
      code: () => pick(next, ['ab', 'abc', 'abcde']),
      count: () => pick(next, [0, 3, 10]),
      email: () => 'ada@example.com',
      kind: () => pick(next, ['a', 'b']),
      tags: () => pick(next, [[], ['x'], ['x', 'y']]),
      flag: () => pick(next, [true, false]),
      present: () => pick(next, [1, 'x', null]),
      anything: () => value(next, 1),
      low: () => pick(next, [-1, 2]),
    }),
  },
  { type: Child, fields: (next) => ({ id: () => '3f2504e0-4f89-41d3-9a0c-0305e82c3301', n: () => pick(next, [0, 7]) }) },
  {
    type: Nested,
    fields: (next) => ({
      name: () => 'n',
      main: () => line(next, 1),
      lines: () => Array.from({ length: 1 + Math.floor(next() * 2) }, () => line(next, 1)),
    }),
  },
  { type: Transformed, fields: (next) => ({ word: () => pick(next, ['ab', ' ab ', 'abcd']) }) },
];

describe('the fast validation pass', () => {
  it.each(CASES.flatMap(({ type, fields }) => (['strip', 'reject'] as const).map((mode) => ({ name: type.name, type, fields, mode }))))(
    'agrees with class-validator on 1500 generated $name messages ($mode)',
    async ({ type, fields, mode }) => {
      const next = random(type.name.length * 7919 + mode.length);
      let validCount = 0;
      for (let i = 0; i < 1500; i++) {
        const data = generate(next, fields(next));
        const expected = await reference(type, data, mode);
        const actual = fast(type, data, mode);
        // Never accepts what class-validator rejects; accepts everything it accepts (JSON has no undefined items).
        expect({ data, valid: actual.valid }).toEqual({ data, valid: expected.valid });
        if (expected.valid) {
          validCount++;
          // Built and stripped the same: same class, same fields, same values.
          expect(Object.getPrototypeOf(actual.instance)).toBe(Object.getPrototypeOf(expected.instance));
          expect(actual.instance).toStrictEqual(expected.instance);
        }
      }
      // The generator produces both kinds, or the comparison would prove little.
      expect(validCount).toBeGreaterThan(50);
      expect(validCount).toBeLessThan(1450);
    },
  );

  it('builds a flat class without class-transformer, and leaves classes that use it to class-transformer', () => {
    expect(buildPlainly(Child, { id: 'x', n: 1 }, { unknownFields: 'strip' })).toBeInstanceOf(Child);
    expect(buildPlainly(Nested, { name: 'n' }, { unknownFields: 'strip' })).toBeUndefined();
    expect(buildPlainly(Transformed, { word: 'ab' }, { unknownFields: 'strip' })).toBeUndefined();
  });

  it('does not let a field named __proto__ or like a method change the instance', () => {
    const data = JSON.parse('{"id":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","n":1,"__proto__":{"polluted":true},"describe":"x"}') as Record<
      string,
      unknown
    >;
    const instance = buildPlainly(Child, data, { unknownFields: 'strip' }) as Child;
    expect(Object.getPrototypeOf(instance)).toBe(Child.prototype);
    expect(instance.describe()).toBe('3f2504e0-4f89-41d3-9a0c-0305e82c3301:1');
    expect(passesFastValidation(instance, { unknownFields: 'strip' })).toBe(true);
    expect(Object.keys(instance).sort()).toEqual(['id', 'n']);
  });

  it('leaves asynchronous constraints to class-validator, which still decides', async () => {
    const good = Object.assign(new Slow(), { value: 'ok' });
    expect(passesFastValidation(good, { unknownFields: 'strip' })).toBe(false);
    await expect(checkMessage(Slow as never, { value: 'ok' }, { unknownFields: 'strip' })).resolves.toBeInstanceOf(Slow);
    await expect(Promise.resolve(checkMessage(Slow as never, { value: 'no' }, { unknownFields: 'strip' }))).rejects.toThrow(
      /test\.slow is invalid/,
    );
  });

  it('answers a valid message without a promise, and an invalid one with the issues class-validator finds', async () => {
    const valid = checkMessage(Child as never, { id: '3f2504e0-4f89-41d3-9a0c-0305e82c3301', n: 2 }, { unknownFields: 'strip' });
    expect(valid).toBeInstanceOf(Child);
    const invalid = checkMessage(Child as never, { id: 'nope', n: 2.5 }, { unknownFields: 'strip' });
    await expect(invalid).rejects.toMatchObject({
      issues: expect.arrayContaining([expect.objectContaining({ path: 'id' }), expect.objectContaining({ path: 'n' })]),
    });
  });
});
