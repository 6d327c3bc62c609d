// Rewrites the JSON Schema snapshots in libs/contracts/schemas from the message classes. Run it after an intended
// contract change, review the diff, commit it:  npx ts-node libs/contracts/scripts/write-schemas.ts
// (without ts-node: UPDATE_SCHEMAS=1 node --experimental-vm-modules node_modules/jest/bin/jest.js libs/contracts/src/schema)
import { writeSchemas } from '../src/schema/schema-files';

for (const file of writeSchemas()) {
  console.log(JSON.stringify({ event: 'contracts.schema_written', file }));
}
