// The database a harness test gets from DatabaseModule.forRoot({ inMemory: true }): embedded, in memory, migrated,
// whatever DATABASE_URL and DATA_DIR say, so that a test needs no database server and leaves no folder behind.
import { MessagingModule } from '@app/messaging';
import { DATABASE, DatabaseModule, type DatabaseHandle } from '@app/persistence';
import { sql } from 'drizzle-orm';
import { MessagingHarness } from './messaging-harness';

describe('DatabaseModule.forRoot({ inMemory: true }) under the harness', () => {
  const saved = { DATABASE_URL: process.env.DATABASE_URL, DATA_DIR: process.env.DATA_DIR };

  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('opens an embedded database in memory, migrated, though DATABASE_URL and DATA_DIR name others', async () => {
    process.env.DATABASE_URL = 'postgres://postgres@127.0.0.1:1/nowhere';
    process.env.DATA_DIR = '/nonexistent/never-written';
    const harness = await MessagingHarness.create({
      imports: [MessagingModule.forRoot({ serviceName: 'memory-test' }), DatabaseModule.forRoot({ inMemory: true })],
    });
    try {
      const handle = harness.get<DatabaseHandle>(DATABASE);
      expect(handle).toMatchObject({ kind: 'pglite', location: 'memory://' });
      // The library's tables are there: its migrations ran.
      const result = await handle.db.execute(sql`select count(*)::int as rows from outbox`);
      expect((result as { rows: Array<{ rows: number }> }).rows).toEqual([{ rows: 0 }]);
    } finally {
      await harness.close();
    }
  });
});
