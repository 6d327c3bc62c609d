// The committed JSON Schema snapshots (libs/contracts/schemas): where they live, what each file is called and how
// one is rendered. Shared by the snapshot spec and scripts/write-contracts.ts, so both always agree.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ContractMessageClass } from './contract-message-class';
import { toJsonSchema } from './json-schema';

export const SCHEMAS_DIR = resolve(__dirname, '..', '..', 'schemas');

/** How to rewrite the snapshots after an intended contract change (run at the repository root). */
export const UPDATE_SCHEMAS_COMMAND = 'npm run contracts:write';

/** `<messageType>.v<schemaVersion>.json`: one file per version, so an older version's snapshot can stay beside it. */
export function schemaFileName(type: ContractMessageClass): string {
  return `${type.messageType}.v${type.schemaVersion}.json`;
}

export function renderSchema(type: ContractMessageClass): string {
  return `${JSON.stringify(toJsonSchema(type), null, 2)}\n`;
}

/** Writes the snapshot of one message class into `dir`; returns the path written. */
export function writeSchema(type: ContractMessageClass, dir: string = SCHEMAS_DIR): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, schemaFileName(type));
  writeFileSync(file, renderSchema(type));
  return file;
}
