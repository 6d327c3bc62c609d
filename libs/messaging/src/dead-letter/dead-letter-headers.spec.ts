import type { ConsumeMessage, MessagePropertyHeaders } from 'amqplib';
import { PermanentError } from '@app/messaging-core';
import { rawDelivery } from '../../../../test/support/deliveries';
import { deadLetterHeaders, errorMessage, retryHeaders, type FailureDescription } from './dead-letter-headers';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const EARLIER = '2026-03-01T11:59:30.000Z';

/** A first delivery straight from the events exchange. */
function delivery(
  headers: MessagePropertyHeaders | undefined = {},
  fields: { exchange?: string; routingKey?: string } = {},
): ConsumeMessage {
  return rawDelivery('order.created', { body: '{"orderId":"o-1"}', headers, ...fields });
}

/** A retried delivery: it came back through the delay ladder, so its fields name the ladder, not the origin. */
function retriedDelivery(extraHeaders: MessagePropertyHeaders = {}): ConsumeMessage {
  return delivery(
    {
      'x-attempts': 2,
      'x-first-failed-at': EARLIER,
      'x-original-exchange': 'domain.events',
      'x-original-routing-key': 'order.created',
      ...extraHeaders,
    },
    { exchange: 'delay.delivery', routingKey: '0.0.0.1.billing.order.created' },
  );
}

const brokerHeaders: MessagePropertyHeaders = {
  'x-death': [
    {
      count: 1,
      reason: 'expired',
      queue: 'delay.level.00',
      time: { '!': 'timestamp', value: 1 },
      exchange: 'delay.level.00',
      'routing-keys': ['k'],
    },
  ],
  'x-delivery-count': 2,
  'x-first-death-exchange': 'delay.level.00',
  'x-first-death-queue': 'delay.level.00',
  'x-first-death-reason': 'expired',
  'x-last-death-exchange': 'delay.level.00',
  'x-last-death-queue': 'delay.level.00',
  'x-last-death-reason': 'expired',
  'x-delay': 4000,
};

function failure(overrides: Partial<FailureDescription> = {}): FailureDescription {
  return {
    reason: 'permanent',
    error: new PermanentError('customer was deleted'),
    attempt: 1,
    queue: 'billing.order.created',
    handler: 'OrderHandler.onOrder',
    now: NOW,
    ...overrides,
  };
}

describe('deadLetterHeaders', () => {
  it('writes every header that explains a first-delivery failure', () => {
    const error = new PermanentError('customer was deleted');

    const headers = deadLetterHeaders(delivery(), failure({ error }));

    expect(headers).toEqual({
      'x-attempts': 1,
      'x-error-type': 'permanent',
      'x-error-message': 'customer was deleted',
      'x-error-stack': error.stack,
      'x-first-failed-at': '2026-03-01T12:00:00.000Z',
      'x-last-failed-at': '2026-03-01T12:00:00.000Z',
      'x-original-exchange': 'domain.events',
      'x-original-routing-key': 'order.created',
      'x-original-queue': 'billing.order.created',
      'x-handler': 'OrderHandler.onOrder',
    });
  });

  it('keeps when the message first failed, and its origin, from an earlier retry', () => {
    const headers = deadLetterHeaders(retriedDelivery(), failure({ reason: 'exhausted', attempt: 3 }));

    expect(headers).toMatchObject({
      'x-attempts': 3,
      'x-error-type': 'exhausted',
      'x-first-failed-at': EARLIER,
      'x-last-failed-at': NOW.toISOString(),
      'x-original-exchange': 'domain.events',
      'x-original-routing-key': 'order.created',
    });
  });

  it('takes the origin from the delivery fields when no earlier retry recorded it', () => {
    const raw = delivery({}, { exchange: 'partner.events', routingKey: 'partner.order.created' });

    const headers = deadLetterHeaders(raw, failure());

    expect(headers['x-original-exchange']).toBe('partner.events');
    expect(headers['x-original-routing-key']).toBe('partner.order.created');
  });

  it('drops the headers the broker adds on dead-lettering and redelivery', () => {
    const headers = deadLetterHeaders(retriedDelivery(brokerHeaders), failure());

    for (const name of Object.keys(brokerHeaders)) expect(headers).not.toHaveProperty(name);
  });

  it("keeps the producer's own headers", () => {
    const raw = delivery({ 'x-correlation-id': 'c-1', 'x-schema-version': 1, traceparent: '00-abc-def-01', tenant: 'acme' });

    expect(deadLetterHeaders(raw, failure())).toMatchObject({
      'x-correlation-id': 'c-1',
      'x-schema-version': 1,
      traceparent: '00-abc-def-01',
      tenant: 'acme',
    });
  });

  it('replaces failure headers of an earlier dead-lettering with the current failure', () => {
    const raw = delivery({ 'x-error-type': 'validation', 'x-error-message': 'old', 'x-handler': 'Old.handler', 'x-attempts': 9 });

    expect(deadLetterHeaders(raw, failure())).toMatchObject({
      'x-error-type': 'permanent',
      'x-error-message': 'customer was deleted',
      'x-handler': 'OrderHandler.onOrder',
      'x-attempts': 1,
    });
  });

  it('does not change the headers of the delivery it copies', () => {
    const raw = retriedDelivery(brokerHeaders);
    const before = structuredClone(raw.properties.headers);

    deadLetterHeaders(raw, failure());

    expect(raw.properties.headers).toEqual(before);
  });

  it('handles a delivery without any headers', () => {
    expect(deadLetterHeaders(delivery(undefined), failure())['x-first-failed-at']).toBe(NOW.toISOString());
  });

  it('trims a huge stack to about 2000 characters', () => {
    const error = new Error('deep');
    error.stack = `Error: deep\n${'    at frame (file.ts:1:1)\n'.repeat(500)}`;

    const stack = String(deadLetterHeaders(delivery(), failure({ error }))['x-error-stack']);

    expect(error.stack.length).toBeGreaterThan(10_000);
    expect(stack.length).toBeGreaterThanOrEqual(2000);
    expect(stack.length).toBeLessThanOrEqual(2001);
    expect(error.stack.startsWith(stack.slice(0, 2000))).toBe(true);
  });

  it('trims a huge error message to about 1000 characters', () => {
    const message = String(deadLetterHeaders(delivery(), failure({ error: new Error('x'.repeat(50_000)) }))['x-error-message']);

    expect(message.length).toBeGreaterThanOrEqual(1000);
    expect(message.length).toBeLessThanOrEqual(1001);
  });

  it('describes a thrown value that is not an Error', () => {
    const headers = deadLetterHeaders(delivery(), failure({ error: 'quota exceeded' }));

    expect(headers['x-error-message']).toBe('quota exceeded');
    expect(headers['x-error-stack']).toBe('quota exceeded');
  });

  it('stamps the current time when none is given', () => {
    const before = Date.now();
    const headers = deadLetterHeaders(delivery(), failure({ now: undefined }));
    const after = Date.now();

    const stamped = Date.parse(String(headers['x-last-failed-at']));
    expect(stamped).toBeGreaterThanOrEqual(before);
    expect(stamped).toBeLessThanOrEqual(after);
  });
});

describe('retryHeaders', () => {
  it('records the attempt, the first failure and the origin on the first retry', () => {
    const headers = retryHeaders(delivery({ tenant: 'acme' }), 1, NOW);

    expect(headers).toEqual({
      tenant: 'acme',
      'x-attempts': 1,
      'x-first-failed-at': NOW.toISOString(),
      'x-original-exchange': 'domain.events',
      'x-original-routing-key': 'order.created',
    });
  });

  it('counts the attempt up but keeps the first failure time and origin on later retries', () => {
    const headers = retryHeaders(retriedDelivery(), 3, NOW);

    expect(headers).toMatchObject({
      'x-attempts': 3,
      'x-first-failed-at': EARLIER,
      'x-original-exchange': 'domain.events',
      'x-original-routing-key': 'order.created',
    });
  });

  it('drops the broker headers that the trip through the ladder added', () => {
    const headers = retryHeaders(retriedDelivery(brokerHeaders), 3, NOW);

    for (const name of Object.keys(brokerHeaders)) expect(headers).not.toHaveProperty(name);
  });

  it('writes no failure details: those belong to dead letters', () => {
    const headers = retryHeaders(delivery(), 1, NOW);

    expect(headers).not.toHaveProperty('x-error-type');
    expect(headers).not.toHaveProperty('x-error-stack');
    expect(headers).not.toHaveProperty('x-last-failed-at');
  });
});

describe('errorMessage', () => {
  it('is the message of an Error and the text of anything else', () => {
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage(42)).toBe('42');
  });
});
