// drizzle-kit configuration of the notification service's own tables: `npx drizzle-kit generate --config apps/notifications/drizzle.config.ts`
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './apps/notifications/src/notifications/notification.schema.ts',
  out: './apps/notifications/migrations',
});
