import type { Message } from 'amqplib';
import { InvalidReplaySelectorError, replayHeaders, replayMatcher, replayProperties } from './dead-letter-admin';

const NOW = new Date('2026-03-01T12:00:00.000Z');

const failureHeaders = {
  'x-error-type': 'permanent',
  'x-error-message': 'customer was deleted',
  'x-error-stack': 'PermanentError: customer was deleted\n    at ...',
  'x-attempts': 3,
  'x-first-failed-at': '2026-03-01T11:00:00.000Z',
  'x-last-failed-at': '2026-03-01T11:05:00.000Z',
  'x-original-exchange': 'domain.events',
  'x-original-routing-key': 'order.created',
  'x-original-queue': 'billing.order.created',
  'x-handler': 'OrderHandler.onOrder',
};

const producerHeaders = {
  'x-correlation-id': 'c-1',
  'x-causation-id': 'm-0',
  'x-schema-version': 2,
  traceparent: '00-abc-def-01',
  tenant: 'acme',
};

function deadLetter(headers: Record<string, unknown> = { ...producerHeaders, ...failureHeaders }, messageId = 'm-1'): Message {
  return {
    content: Buffer.from('{"orderId":"o-1"}'),
    fields: { deliveryTag: 1, redelivered: false, exchange: 'domain.events.dead-letter', routingKey: 'billing.order.created.dlq' },
    properties: {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      headers,
      deliveryMode: 2,
      priority: undefined,
      correlationId: 'c-1',
      replyTo: undefined,
      expiration: undefined,
      messageId,
      timestamp: 1_772_366_400,
      type: 'order.created',
      userId: 'guest',
      appId: 'orders',
      clusterId: undefined,
    },
  };
}

describe('replayHeaders', () => {
  it('drops every failure header, so the replayed message starts again at attempt 1', () => {
    const headers = replayHeaders({ ...producerHeaders, ...failureHeaders }, NOW);

    for (const name of Object.keys(failureHeaders)) expect(headers).not.toHaveProperty(name);
  });

  it("keeps the producer's headers: correlation, causation, schema version, trace context and its own", () => {
    expect(replayHeaders({ ...producerHeaders, ...failureHeaders }, NOW)).toMatchObject(producerHeaders);
  });

  it('stamps when it was replayed and counts the first replay as 1', () => {
    const headers = replayHeaders({ ...producerHeaders }, NOW);

    expect(headers['x-replayed-at']).toBe('2026-03-01T12:00:00.000Z');
    expect(headers['x-replay-count']).toBe(1);
  });

  it('counts the replays of a message that was replayed before and failed again', () => {
    expect(replayHeaders({ 'x-replay-count': 2, 'x-replayed-at': 'earlier' }, NOW)).toMatchObject({
      'x-replay-count': 3,
      'x-replayed-at': NOW.toISOString(),
    });
  });

  it('drops the headers the broker adds on dead-lettering and redelivery', () => {
    const headers = replayHeaders({ 'x-death': [{ count: 1 }], 'x-delivery-count': 4 }, NOW);

    expect(headers).not.toHaveProperty('x-death');
    expect(headers).not.toHaveProperty('x-delivery-count');
  });

  it('does not change the headers it copies', () => {
    const original = { ...producerHeaders, ...failureHeaders };
    const before = structuredClone(original);

    replayHeaders(original, NOW);

    expect(original).toEqual(before);
  });
});

describe('replayProperties', () => {
  it('keeps the envelope of the original message and leaves out the user id the broker would check', () => {
    const properties = replayProperties(deadLetter(), NOW);

    expect(properties).toEqual({
      messageId: 'm-1',
      type: 'order.created',
      correlationId: 'c-1',
      timestamp: 1_772_366_400,
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      appId: 'orders',
      persistent: true,
      headers: { ...producerHeaders, 'x-replayed-at': NOW.toISOString(), 'x-replay-count': 1 },
    });
  });

  it('keeps a transient message transient', () => {
    const message = deadLetter();
    message.properties.deliveryMode = 1;

    expect(replayProperties(message, NOW).persistent).toBe(false);
  });
});

describe('replayMatcher', () => {
  it('matches by message id, by error type, or everything', () => {
    const permanent = deadLetter(undefined, 'm-1');
    const exhausted = deadLetter({ ...failureHeaders, 'x-error-type': 'exhausted' }, 'm-2');

    expect([permanent, exhausted].map(replayMatcher({ ids: ['m-2'] }))).toEqual([false, true]);
    expect([permanent, exhausted].map(replayMatcher({ errorType: 'permanent' }))).toEqual([true, false]);
    expect([permanent, exhausted].map(replayMatcher({ all: true }))).toEqual([true, true]);
  });

  it.each([
    [{}, /exactly one/],
    [{ all: true, errorType: 'permanent' }, /got all and errorType/],
    [{ ids: [] }, /non-empty list/],
    [{ ids: ['m-1', ''] }, /non-empty list/],
    [{ all: false }, /all must be true/],
    [{ errorType: '' }, /non-empty string/],
  ])('refuses the selector %j', (selector, reason) => {
    expect(() => replayMatcher(selector)).toThrow(InvalidReplaySelectorError);
    expect(() => replayMatcher(selector)).toThrow(reason);
  });
});
