// `npm run contracts:write`: lists every message class in src/message-catalogue.ts and rewrites the JSON Schema
// snapshots in libs/contracts/schemas from them. Run it after adding a message class or changing a contract on
// purpose (bump schemaVersion when the change breaks consumers), review the diff, commit it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTRACTS_SRC, discoverMessages, renderCatalogue } from '../src/schema/message-discovery';
import { writeSchema } from '../src/schema/schema-files';

const messages = discoverMessages();
const catalogue = join(CONTRACTS_SRC, 'message-catalogue.ts');
writeFileSync(catalogue, renderCatalogue(messages));
console.log(
  JSON.stringify({
    event: 'contracts.catalogue_written',
    file: catalogue,
    messages: messages.map((m) => `${m.type.messageType} v${m.type.schemaVersion}`),
  }),
);
for (const { type } of messages) {
  console.log(JSON.stringify({ event: 'contracts.schema_written', file: writeSchema(type) }));
}
