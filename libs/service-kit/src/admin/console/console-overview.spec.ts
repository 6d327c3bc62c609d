import type { AmqpConnection, DeadLetterEditor, ResolvedMessagingOptions } from '@app/messaging';
import { CircuitRegistry } from '../../circuits/circuit-registry';
import { MessagingMetrics } from '../../metrics/messaging-metrics';
import { ConsoleOverviewService } from './console-overview';

const handlers = [{ handler: 'JobHandler.onJob', queue: 'svc.job', deadLetterQueue: 'svc.job.dlq', messageType: 'job', schemaVersion: 1 }];

function overviewOf(metrics?: MessagingMetrics, circuits?: CircuitRegistry): ConsoleOverviewService {
  const connection = { isConnected: () => false } as unknown as AmqpConnection;
  const editor = { handlers: () => handlers } as unknown as DeadLetterEditor;
  const options = { serviceName: 'svc' } as ResolvedMessagingOptions;
  return new ConsoleOverviewService(connection, editor, options, metrics, circuits);
}

describe('ConsoleOverviewService', () => {
  it("lists the service's handler queues, and says why the broker's numbers are missing", async () => {
    const overview = await overviewOf().overview();

    expect(overview).toMatchObject({ service: 'svc', brokerConnected: false, rateWindowSeconds: undefined });
    expect(overview.queues).toEqual([
      {
        queue: 'svc.job',
        deadLetterQueue: 'svc.job.dlq',
        messageType: 'job',
        handler: 'JobHandler.onJob',
        problem: 'not connected to the broker',
      },
    ]);
  });

  it('reads the outbox backlog, the circuits and the sagas in flight from whoever reports them', async () => {
    const metrics = new MessagingMetrics();
    metrics.setSampler('outboxPending', () => Promise.resolve({ count: 7, oldestAgeMs: 4500 }));
    metrics.setSampler('sagasInFlight', (limit) =>
      Promise.resolve({
        total: 1,
        sagas: [{ id: 's-1', type: 'fulfilment', state: 'awaiting-payment', startedAt: '2026-01-01T00:00:00Z' }].slice(0, limit),
      }),
    );
    const circuits = new CircuitRegistry();
    circuits.register('email-provider').set('open');

    const overview = await overviewOf(metrics, circuits).overview();

    expect(overview.outbox).toEqual({ reported: true, pending: 7, oldestAgeSeconds: 4.5 });
    expect(overview.circuits).toEqual({ reported: true, circuits: [{ name: 'email-provider', state: 'open', since: expect.any(String) }] });
    expect(overview.sagas).toEqual({
      reported: true,
      total: 1,
      sagas: [expect.objectContaining({ id: 's-1', state: 'awaiting-payment' })],
    });
    expect(overview.rateWindowSeconds).toEqual(expect.any(Number));
  });

  it('says what reports each part when nothing does, and what failed when reading it failed', async () => {
    const metrics = new MessagingMetrics();
    metrics.setSampler('outboxPending', () => Promise.reject(new Error('the database is unavailable')));

    const overview = await overviewOf(metrics).overview();

    expect(overview.outbox).toEqual({ reported: true, problem: 'the database is unavailable' });
    expect(overview.sagas).toEqual({ reported: false, how: expect.stringContaining('sagasInFlight') });
    expect(overview.circuits).toEqual({ reported: false, how: expect.stringContaining('CircuitRegistry') });
  });
});
