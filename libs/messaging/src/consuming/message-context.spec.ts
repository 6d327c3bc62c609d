import type { ConsumeMessage, MessagePropertyHeaders } from 'amqplib';
import { rawDelivery, type RawParts } from '../../../../test/support/deliveries';
import { MessageContext } from './message-context';

type DeliveryParts = Pick<RawParts, 'headers' | 'properties' | 'redelivered' | 'routingKey'>;

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

    it('is x-attempts + 1 on a retried delivery', () => {
      expect(contextOf({ headers: { 'x-attempts': 2 } }).attempt).toBe(3);
    });

    it('reads an x-attempts header that arrives as text', () => {
      expect(contextOf({ headers: { 'x-attempts': '3' } }).attempt).toBe(4);
    });

    it.each<[string, unknown]>([
      ['negative', -2],
      ['fractional', 1.5],
      ['not a number', 'many'],
      ['null', null],
    ])('is 1 when x-attempts is %s', (_label, value) => {
      expect(contextOf({ headers: { 'x-attempts': value } }).attempt).toBe(1);
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
  });

  describe('correlation id', () => {
    it('comes from the x-correlation-id header first', () => {
      const context = contextOf({ headers: { 'x-correlation-id': 'from-header' }, properties: { correlationId: 'from-amqp' } });

      expect(context.correlationId).toBe('from-header');
    });

    it('comes from the AMQP correlationId when the header is absent', () => {
      expect(contextOf({ properties: { correlationId: 'from-amqp' } }).correlationId).toBe('from-amqp');
    });

    it('is the message id when the producer gave no correlation at all', () => {
      expect(contextOf({ properties: { messageId: 'msg-42' } }).correlationId).toBe('msg-42');
    });
  });

  it('reads the causation id from its header', () => {
    expect(contextOf({ headers: { 'x-causation-id': 'msg-0' } }).causationId).toBe('msg-0');
    expect(contextOf().causationId).toBeUndefined();
  });

  describe('schema version', () => {
    it('reads an integer x-schema-version header', () => {
      expect(contextOf({ headers: { 'x-schema-version': 2 } }).schemaVersion).toBe(2);
    });

    it('reads a schema version sent as text', () => {
      expect(contextOf({ headers: { 'x-schema-version': '3' } }).schemaVersion).toBe(3);
    });

    it.each<[string, unknown]>([
      ['absent', undefined],
      ['not a number', 'v2'],
      ['fractional', 1.5],
    ])('is undefined when the header is %s', (_label, value) => {
      const headers: MessagePropertyHeaders = value === undefined ? {} : { 'x-schema-version': value };

      expect(contextOf({ headers }).schemaVersion).toBeUndefined();
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
