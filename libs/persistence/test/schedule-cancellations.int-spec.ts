// Integration: the database store of cancelled schedules keeps a cancellation while its message may still come, and
// forgets it a day after the message was dropped, on PostgreSQL and on the embedded PGlite.
import { eq } from 'drizzle-orm';
import { DROPPED_CANCELLATION_RETENTION_MS } from '@app/messaging';
import { DatabaseScheduleCancellations } from '../src/scheduling/database-schedule-cancellations';
import { MESSAGING_MIGRATIONS_FOLDER, openDatabase, type DatabaseHandle } from '../src/database/database';
import { scheduleCancellations } from '../src/database/messaging-tables';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';

describe.each(['postgres', 'pglite'] as const)('cancelled schedules in the database (%s)', (kind) => {
  let testDb: TestDatabase;
  let handle: DatabaseHandle;
  let now = Date.now();
  let store: DatabaseScheduleCancellations;

  beforeAll(async () => {
    testDb = await createTestDatabase('schedule_cancellations', kind);
    handle = await openDatabase({ url: testDb.url, dataDir: testDb.dataDir });
    await handle.migrate(MESSAGING_MIGRATIONS_FOLDER, '__messaging_migrations');
    store = new DatabaseScheduleCancellations(handle.db, () => now);
  });

  afterAll(async () => {
    await handle?.close();
    await testDb?.drop();
  });

  const tokens = async (): Promise<string[]> =>
    (await handle.db.select({ token: scheduleCancellations.token }).from(scheduleCancellations)).map((row) => row.token).sort();

  it('keeps a cancellation until a day after its message was dropped, and one whose message has not come yet', async () => {
    await store.cancel('dropped-early');
    await store.cancel('dropped-late');
    await store.cancel('still-waiting');
    await store.cancel('dropped-early'); // twice: harmless

    await store.dropped('dropped-early');
    // A redelivery of the dropped message within the day still finds the cancellation (and keeps the first drop time).
    now += 3600_000;
    await expect(store.isCancelled('dropped-early')).resolves.toBe(true);
    await store.dropped('dropped-early');
    await store.dropped('dropped-late');
    await store.dropped('never-cancelled'); // a token without a row: nothing to mark
    expect(await tokens()).toEqual(['dropped-early', 'dropped-late', 'still-waiting']);

    // PostgreSQL's now() marked the rows: move them back to stand for drops a day and two days ago.
    const ago = (ms: number) => new Date(now - ms);
    await handle.db
      .update(scheduleCancellations)
      .set({ droppedAt: ago(DROPPED_CANCELLATION_RETENTION_MS + 60_000) })
      .where(eq(scheduleCancellations.token, 'dropped-early'));
    await handle.db
      .update(scheduleCancellations)
      .set({ droppedAt: ago(DROPPED_CANCELLATION_RETENTION_MS - 60_000) })
      .where(eq(scheduleCancellations.token, 'dropped-late'));

    await expect(store.prune()).resolves.toBe(1);
    expect(await tokens()).toEqual(['dropped-late', 'still-waiting']);
    await expect(store.isCancelled('dropped-early')).resolves.toBe(false);
    await expect(store.isCancelled('still-waiting')).resolves.toBe(true);
  });

  it('deletes the expired cancellations by itself as it marks drops, at most once a minute', async () => {
    await store.cancel('old');
    await store.dropped('old');
    await handle.db
      .update(scheduleCancellations)
      .set({ droppedAt: new Date(now - 2 * DROPPED_CANCELLATION_RETENTION_MS) })
      .where(eq(scheduleCancellations.token, 'old'));

    now += 61_000;
    await store.cancel('new');
    await store.dropped('new');

    expect(await tokens()).not.toContain('old');
    expect(await tokens()).toContain('new');
  });
});
