// drizzle-kit configuration for the library's own tables: `npx drizzle-kit generate --config libs/messaging/drizzle.config.ts`
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './libs/messaging/src/persistence/messaging-tables.ts',
  out: './libs/messaging/migrations',
});
