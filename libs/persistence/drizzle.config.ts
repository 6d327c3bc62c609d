// drizzle-kit configuration for the library's own tables: `npx drizzle-kit generate --config libs/persistence/drizzle.config.ts`
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: ['./libs/persistence/src/database/messaging-tables.ts', './libs/persistence/src/sagas/saga-tables.ts'],
  out: './libs/persistence/migrations',
});
