// drizzle-kit configuration of the {{name}} service's own tables: `npx drizzle-kit generate --config apps/{{name}}/drizzle.config.ts`
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './apps/{{name}}/src/{{name}}/received-order.schema.ts',
  out: './apps/{{name}}/migrations',
});
