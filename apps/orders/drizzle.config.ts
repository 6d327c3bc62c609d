// drizzle-kit configuration of the order service's own tables: `npx drizzle-kit generate --config apps/orders/drizzle.config.ts`
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './apps/orders/src/orders/order.schema.ts',
  out: './apps/orders/migrations',
});
