// Protects the correlation of what is published: given ids, else the work in progress, else a new correlation id.
import { runWithCorrelation } from '../../correlation/correlation-context';
import { envelopeMessage, type PublishOptions } from '../outgoing-message';
import { Publication } from '../publication';
import { PublishCorrelationStep } from './correlation.step';

class OrderPlaced {
  static readonly messageType = 'order.placed';
  static readonly schemaVersion = 1;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A publication past the envelope step. */
function enveloped(options: PublishOptions = {}): Publication {
  const publication = new Publication(OrderPlaced, { orderId: 'o-1' }, options, 'broker');
  publication.message = { orderId: 'o-1' };
  publication.outgoing = envelopeMessage(OrderPlaced, publication.message, 'domain.events', 'orders', options);
  return publication;
}

async function correlate(publication: Publication): Promise<{ correlationId: unknown; headers: Record<string, unknown> }> {
  const next = jest.fn(async (): Promise<void> => undefined);
  await new PublishCorrelationStep().handle(publication, next);
  expect(next).toHaveBeenCalledTimes(1);
  return { correlationId: publication.wire.properties.correlationId, headers: publication.wire.properties.headers };
}

describe('PublishCorrelationStep', () => {
  it('uses the correlation and causation ids given, in the property and the headers', async () => {
    const { correlationId, headers } = await runWithCorrelation({ correlationId: 'c-current', causationId: 'm-current' }, () =>
      correlate(enveloped({ correlationId: 'c-given', causationId: 'm-given' })),
    );

    expect(correlationId).toBe('c-given');
    expect(headers).toMatchObject({ 'x-correlation-id': 'c-given', 'x-causation-id': 'm-given' });
  });

  it('takes both from the work in progress when none are given (a message being handled)', async () => {
    const { correlationId, headers } = await runWithCorrelation({ correlationId: 'c-42', causationId: 'm-7' }, () =>
      correlate(enveloped()),
    );

    expect(correlationId).toBe('c-42');
    expect(headers).toMatchObject({ 'x-correlation-id': 'c-42', 'x-causation-id': 'm-7' });
  });

  it('keeps the causation of the work in progress beside a correlation id given', async () => {
    const { headers } = await runWithCorrelation({ correlationId: 'c-42', causationId: 'm-7' }, () =>
      correlate(enveloped({ correlationId: 'c-given' })),
    );

    expect(headers).toMatchObject({ 'x-correlation-id': 'c-given', 'x-causation-id': 'm-7' });
  });

  it('starts a new correlation outside any work in progress, with no causation', async () => {
    const first = await correlate(enveloped());
    const second = await correlate(enveloped());

    expect(first.correlationId).toMatch(UUID);
    expect(first.headers['x-correlation-id']).toBe(first.correlationId);
    expect(first.headers).not.toHaveProperty('x-causation-id');
    expect(second.correlationId).not.toBe(first.correlationId);
  });

  it('writes no causation for an HTTP request in progress, which has none', async () => {
    const { correlationId, headers } = await runWithCorrelation({ correlationId: 'req-1' }, () => correlate(enveloped()));

    expect(correlationId).toBe('req-1');
    expect(headers).not.toHaveProperty('x-causation-id');
  });
});
