// Guards the message contracts: the JSON Schema generated from each message class must equal its committed
// snapshot in libs/contracts/schemas, so an accidental contract change fails here. After an intended change
// (bump schemaVersion if it breaks consumers), rewrite the snapshots with `npm run contracts:write` and commit them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from 'class-transformer';
import { IsPositive, IsString, Matches, ValidateNested } from 'class-validator';
import { ALL_MESSAGE_CLASSES } from '../message-catalogue';
import { OrderCreated } from '../orders/order-created';
import { IsDecimalString } from '../types/is-decimal-string';
import { toJsonSchema } from './json-schema';
import { renderSchema, schemaFileName, SCHEMAS_DIR, UPDATE_SCHEMAS_COMMAND } from './schema-files';

describe('committed JSON Schema snapshots', () => {
  const cases = ALL_MESSAGE_CLASSES.map((type) => [schemaFileName(type), type] as const);

  it.each(cases)('%s matches the schema generated from its class', (file, type) => {
    const hint =
      `The contract of ${type.name} no longer matches libs/contracts/schemas/${file}. If the change is intended ` +
      `(bump schemaVersion when it breaks consumers), rewrite the snapshots and commit them:\n  ${UPDATE_SCHEMAS_COMMAND}`;
    const path = join(SCHEMAS_DIR, file);
    if (!existsSync(path)) throw new Error(`libs/contracts/schemas/${file} is missing.\n${hint}`);

    try {
      expect(JSON.parse(renderSchema(type))).toEqual(JSON.parse(readFileSync(path, 'utf8')));
    } catch (mismatch) {
      if (mismatch instanceof Error) mismatch.message = `${hint}\n\n${mismatch.message}`;
      throw mismatch;
    }
  });
});

describe('toJsonSchema', () => {
  const schema = toJsonSchema(OrderCreated);

  it('names the message type and version the schema belongs to', () => {
    expect(schema).toMatchObject({ title: 'OrderCreated', 'x-message-type': 'order.created', 'x-schema-version': 1 });
  });

  it('describes the notification union as oneOf, one branch per kind', () => {
    const branches = schema.properties?.notification.oneOf ?? [];

    expect(branches.map((branch) => [branch.title, branch.properties?.kind.const])).toEqual([
      ['EmailChannel', 'email'],
      ['SmsChannel', 'sms'],
      ['PushChannel', 'push'],
    ]);
  });

  it('lists an omittable field as not required', () => {
    const push = schema.properties?.notification.oneOf?.find((branch) => branch.title === 'PushChannel');

    expect(push?.properties).toHaveProperty('callbackUrl');
    expect(push?.required).toEqual(['kind', 'deviceToken']);
  });

  it('describes array items from their nested class', () => {
    expect(schema.properties?.items).toMatchObject({
      type: 'array',
      minItems: 1,
      maxItems: 100,
      items: { title: 'OrderLine', required: ['sku', 'quantity', 'unitPrice'] },
    });
  });

  it('states the same decimal pattern the validator enforces', () => {
    const pattern = new RegExp(schema.properties?.total.pattern ?? '(?!)');

    expect(['12.50', '0.00'].map((value) => pattern.test(value))).toEqual([true, true]);
    expect(['12.5', '-1.00', '1e2', '012.50'].map((value) => pattern.test(value))).toEqual([false, false, false, false]);
  });

  it('refuses a constraint it cannot describe, rather than leave the rule out', () => {
    class WithUnknownConstraint {
      @IsPositive()
      amount!: number;
    }

    expect(() => toJsonSchema(WithUnknownConstraint)).toThrow(
      'toJsonSchema: WithUnknownConstraint.amount uses the constraint "isPositive"',
    );
  });

  it('refuses a nested property without @Type', () => {
    class Inner {
      @IsString()
      name!: string;
    }
    class WithUntypedNested {
      @ValidateNested()
      inner!: Inner;
    }

    expect(() => toJsonSchema(WithUntypedNested)).toThrow('has @ValidateNested() but no @Type()');
  });

  it('refuses two patterns on one field, which one JSON Schema keyword cannot state', () => {
    class TwoPatterns {
      @Matches(/^[0-9]+$/)
      @IsDecimalString({ scale: 0 })
      code!: string;
    }

    expect(() => toJsonSchema(TwoPatterns)).toThrow('TwoPatterns.code has two different "pattern" rules');
  });

  it('refuses a class that contains itself', () => {
    class TreeNode {
      @ValidateNested({ each: true })
      @Type(() => TreeNode)
      children!: TreeNode[];
    }

    expect(() => toJsonSchema(TreeNode)).toThrow('TreeNode contains itself');
  });
});
