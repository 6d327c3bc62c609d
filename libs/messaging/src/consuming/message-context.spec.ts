import type { ConsumeMessage, MessagePropertyHeaders } from 'amqplib';
import { rawDelivery, type RawParts } from '../../../../test/support/deliveries';
import { MessageContext, ownedHeaderProblemsOf } from './message-context';
import { headerTrustFor } from './owned-headers';

type DeliveryParts = Pick<RawParts, 'headers' | 'properties' | 'redelivered' | 'routingKey' | 'exchange'>;

/** Where the library's retry copies come from: the delay ladder's delivery exchange. */
const RETRY_EXCHANGE = 'delay.delivery';

function delivery(parts: DeliveryParts = {}): ConsumeMessage {
  return rawDelivery('order.created', { ...parts, properties: { messageId: 'msg-1', ...parts.properties } });
}

function contextOf(parts: DeliveryParts = {}): MessageContext {
  return new MessageContext(delivery(parts), 'billing.order.created', 'OrderHandler.onOrder');
}

describe('MessageContext', () => {
  it('exposes the queue and the handler it was built for', () => {
    const context = contextOf();

    expect(context.queue).toBe('billing.order.created');
    expect(context.handler).toBe('OrderHandler.onOrder');
  });

  it('reads the message id and type from the AMQP properties', () => {
    const context = contextOf({ properties: { messageId: 'abc', type: 'order.shipped' } });

    expect(context.messageId).toBe('abc');
    expect(context.messageType).toBe('order.shipped');
  });

  it('falls back to the routing key for the type and to an empty id when the producer set neither', () => {
    const context = contextOf({ properties: { messageId: undefined, type: undefined }, routingKey: 'legacy.event' });

    expect(context.messageType).toBe('legacy.event');
    expect(context.messageId).toBe('');
  });

  describe('attempt', () => {
    it('is 1 on the first delivery, which has no x-attempts header', () => {
      expect(contextOf().attempt).toBe(1);
    });

    it('is x-attempts + 1 on a retried delivery (a copy that came through the delay exchanges)', () => {
      expect(contextOf({ headers: { 'x-attempts': 2 }, exchange: RETRY_EXCHANGE }).attempt).toBe(3);
      expect(contextOf({ headers: { 'x-attempts': 2 }, exchange: 'delay.plugin' }).attempt).toBe(3);
      // A copy delayed through several levels names the last level exchange that dead-lettered it.
      expect(contextOf({ headers: { 'x-attempts': 2 }, exchange: 'delay.level.00' }).attempt).toBe(3);
    });

    it('reads an x-attempts header that arrives as text', () => {
      expect(contextOf({ headers: { 'x-attempts': '3' }, exchange: RETRY_EXCHANGE }).attempt).toBe(4);
    });

    it("is 1 when a publisher set x-attempts on a message it sent itself: only the library's retry copies count", () => {
      const context = contextOf({ headers: { 'x-attempts': 7 }, exchange: 'domain.events' });

      expect(context.attempt).toBe(1);
      expect(ownedHeaderProblemsOf(context)).toEqual([]);
    });

    it.each<[string, unknown]>([
      ['negative', -2],
      ['fractional', 1.5],
      ['not a number', 'many'],
      ['null', null],
      ['above any retry policy', 1001],
    ])('is 1 when x-attempts is %s, and the header is reported as a problem', (_label, value) => {
      const context = contextOf({ headers: { 'x-attempts': value }, exchange: RETRY_EXCHANGE });

      expect(context.attempt).toBe(1);
      expect(ownedHeaderProblemsOf(context)).toEqual([expect.stringMatching(/^header x-attempts is .*, not a count of attempts/)]);
    });

    it('does not count broker redeliveries as attempts', () => {
      expect(contextOf({ headers: { 'x-delivery-count': 4 }, redelivered: true }).attempt).toBe(1);
    });
  });

  describe('redeliveries', () => {
    it('is 0 on a fresh delivery', () => {
      expect(contextOf().redeliveries).toBe(0);
    });

    it('is the x-delivery-count a quorum queue sets', () => {
      expect(contextOf({ headers: { 'x-delivery-count': 3 }, redelivered: true }).redeliveries).toBe(3);
    });

    it('is 1 for a redelivered message of a classic queue, which has no x-delivery-count', () => {
      expect(contextOf({ redelivered: true }).redeliveries).toBe(1);
    });

    it('is 0 on a first delivery whatever x-delivery-count says: the broker writes it only on a redelivery', () => {
      const context = contextOf({ headers: { 'x-delivery-count': 999 }, redelivered: false });

      expect(context.redeliveries).toBe(0);
      expect(ownedHeaderProblemsOf(context)).toEqual([]);
    });

    it("is 1 for a redelivery from a classic queue, whose x-delivery-count can only be a publisher's", () => {
      const raw = delivery({ headers: { 'x-delivery-count': 999 }, redelivered: true });

      expect(new MessageContext(raw, 'q', 'H.m', headerTrustFor('classic')).redeliveries).toBe(1);
      expect(new MessageContext(raw, 'q', 'H.m', headerTrustFor('quorum')).redeliveries).toBe(999);
    });

    it.each<[string, unknown]>([
      ['negative', -1],
      ['text', 'many'],
      ['fractional', 2.5],
    ])('reports an x-delivery-count that is %s as a problem, and does not count it', (_label, value) => {
      const context = contextOf({ headers: { 'x-delivery-count': value }, redelivered: true });

      expect(context.redeliveries).toBe(1);
      expect(ownedHeaderProblemsOf(context)).toEqual([expect.stringMatching(/^header x-delivery-count is .*, not a delivery count/)]);
    });
  });

  describe('correlation id', () => {
    it('comes from the x-correlation-id header first', () => {
      const context = contextOf({ headers: { 'x-correlation-id': 'from-header' }, properties: { correlationId: 'from-amqp' } });

      expect(context.correlationId).toBe('from-header');
    });

    it('comes from the AMQP correlationId when the header is absent', () => {
      expect(contextOf({ properties: { correlationId: 'from-amqp' } }).correlationId).toBe('from-amqp');
    });

    it('keeps only a short plain id: a long one or one with other characters gives way to the next, then to a new one', () => {
      const long = 'c'.repeat(129);
      expect(contextOf({ headers: { 'x-correlation-id': long }, properties: { correlationId: 'from-amqp' } }).correlationId).toBe(
        'from-amqp',
      );
      expect(contextOf({ headers: { 'x-correlation-id': 'a\nb' }, properties: { messageId: 'msg-7' } }).correlationId).toBe('msg-7');
      const fresh = contextOf({ headers: { 'x-correlation-id': '<script>' }, properties: { messageId: 'x'.repeat(200) } }).correlationId;
      expect(fresh).toMatch(/^[0-9a-f-]{36}$/);
      expect(contextOf({ headers: { 'x-causation-id': long } }).causationId).toBeUndefined();
      expect(contextOf({ headers: { 'x-causation-id': 'cause-1' } }).causationId).toBe('cause-1');
    });

    it('is the message id when the producer gave no correlation at all', () => {
      expect(contextOf({ properties: { messageId: 'msg-42' } }).correlationId).toBe('msg-42');
    });
  });

  it('reads the causation id from its header, when it is text', () => {
    expect(contextOf({ headers: { 'x-causation-id': 'msg-0' } }).causationId).toBe('msg-0');
    expect(contextOf().causationId).toBeUndefined();
    expect(contextOf({ headers: { 'x-causation-id': 42 } }).causationId).toBeUndefined();
  });

  describe('schema version', () => {
    it('reads an integer x-schema-version header', () => {
      expect(contextOf({ headers: { 'x-schema-version': 2 } }).schemaVersion).toBe(2);
    });

    it('reads a schema version sent as text', () => {
      expect(contextOf({ headers: { 'x-schema-version': '3' } }).schemaVersion).toBe(3);
    });

    it('is undefined when the header is absent', () => {
      expect(contextOf({ headers: {} }).schemaVersion).toBeUndefined();
    });

    it.each<[string, unknown]>([
      ['not a number', 'v2'],
      ['fractional', 1.5],
      ['zero', 0],
      ['negative', -1],
      ['a list', [2]],
    ])('is undefined when the header is %s, which is reported as a problem (never read as "no version")', (_label, value) => {
      const headers: MessagePropertyHeaders = { 'x-schema-version': value };
      const context = contextOf({ headers });

      expect(context.schemaVersion).toBeUndefined();
      expect(ownedHeaderProblemsOf(context)).toEqual([expect.stringMatching(/^header x-schema-version is .*, not a schema version/)]);
    });
  });

  describe('publishedAt', () => {
    it('is the AMQP timestamp, which counts seconds', () => {
      const context = contextOf({ properties: { timestamp: 1_780_000_000 } });

      expect(context.publishedAt).toEqual(new Date('2026-05-28T20:26:40.000Z'));
    });

    it('is undefined when the producer set no timestamp', () => {
      expect(contextOf().publishedAt).toBeUndefined();
    });
  });

  it('gives the headers as received and the raw message', () => {
    const raw = delivery({ headers: { tenant: 'acme', 'x-attempts': 1 } });
    const context = new MessageContext(raw, 'q', 'H.m');

    expect(context.headers).toEqual({ tenant: 'acme', 'x-attempts': 1 });
    expect(context.getMessage()).toBe(raw);
  });

  it('gives empty headers for a message without any', () => {
    const raw = delivery();
    raw.properties.headers = undefined;

    expect(new MessageContext(raw, 'q', 'H.m').headers).toEqual({});
  });
});
