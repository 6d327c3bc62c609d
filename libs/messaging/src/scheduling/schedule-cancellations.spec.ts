import { MemoryScheduleCancellations } from './schedule-cancellations';

describe('MemoryScheduleCancellations', () => {
  it('keeps a cancellation until a day after its message was dropped, then forgets it; one still waiting stays', async () => {
    let now = 0;
    const store = new MemoryScheduleCancellations(() => now);
    await store.cancel('dropped');
    await store.cancel('waiting');

    await store.dropped('dropped');
    now += 23 * 3600_000;
    await store.dropped('dropped'); // a redelivery: keeps the first drop time
    await expect(store.isCancelled('dropped')).resolves.toBe(true);

    now += 2 * 3600_000;
    await store.dropped('unknown');
    await expect(store.isCancelled('dropped')).resolves.toBe(false);
    await expect(store.isCancelled('waiting')).resolves.toBe(true);
    await expect(store.isCancelled('unknown')).resolves.toBe(false);
  });
});
