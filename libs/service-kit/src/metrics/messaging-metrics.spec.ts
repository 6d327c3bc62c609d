import { MessagingMetrics } from './messaging-metrics';

async function value(metrics: MessagingMetrics, name: string, labels: Record<string, string>): Promise<number> {
  const family = (await metrics.registry.getMetricsAsJSON()).find((metric) => metric.name === name);
  const sample = (family?.values ?? []).find((entry) => Object.entries(labels).every(([key, v]) => entry.labels[key] === v));
  return Number(sample?.value ?? 0);
}

describe('MessagingMetrics.forConsumer', () => {
  it('shows every consumed and acked delivery on the next scrape, also when a queue is set up twice', async () => {
    const metrics = new MessagingMetrics();
    const first = metrics.forConsumer('jobs', 'job.created');
    const again = metrics.forConsumer('jobs', 'job.created');
    for (let i = 0; i < 3; i++) first.consumed();
    again.consumed();
    first.outcome('ack', 0.002);
    again.outcome('duplicate', 0.001);
    first.outcome('retry', 0.003);

    const labels = { queue: 'jobs', type: 'job.created' };
    expect(await value(metrics, 'messaging_messages_consumed_total', labels)).toBe(4);
    expect(await value(metrics, 'messaging_messages_acked_total', labels)).toBe(2);
    expect(await value(metrics, 'messaging_messages_retried_total', labels)).toBe(1);
    expect(await value(metrics, 'messaging_messages_duplicates_skipped_total', labels)).toBe(1);

    first.consumed();
    expect(await value(metrics, 'messaging_messages_consumed_total', labels)).toBe(5);
    expect((await metrics.acked.get()).values.find((entry) => entry.labels.queue === 'jobs')?.value).toBe(2);
  });
});
