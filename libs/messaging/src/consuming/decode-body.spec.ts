import type { ConsumeMessage, MessageProperties } from 'amqplib';
import { MessageDecodeError } from '@app/messaging-core';
import { rawDelivery } from '../../../../test/support/deliveries';
import { decodeBody } from './decode-body';

const TYPE = 'order.created';
const LIMIT = 1024;

/** A delivery as amqplib hands it over: absent properties are undefined. */
function delivery(content: string | Buffer, properties: Partial<MessageProperties> = {}): ConsumeMessage {
  return rawDelivery(TYPE, { body: content, properties });
}

/** The MessageDecodeError that decoding `raw` throws (fails the test if it decodes). */
function decodeErrorOf(raw: ConsumeMessage, maxBytes = LIMIT): MessageDecodeError {
  try {
    decodeBody(raw, maxBytes);
  } catch (error) {
    expect(error).toBeInstanceOf(MessageDecodeError);
    return error as MessageDecodeError;
  }
  throw new Error('expected a MessageDecodeError, but the body was decoded');
}

const body = { orderId: 'o-1', total: '12.50', lines: [{ sku: 'BOOK-1', quantity: 2 }] };

describe('decodeBody', () => {
  describe('accepts', () => {
    it('returns the parsed JSON object of an application/json body', () => {
      expect(decodeBody(delivery(JSON.stringify(body)), LIMIT)).toEqual(body);
    });

    it.each([
      'application/json; charset=utf-8',
      'application/json;charset=UTF-8',
      'application/json; charset="utf-8"',
      'Application/JSON',
      'application/vnd.orders.v1+json',
      'application/cloudevents+json; charset=utf-8',
    ])('accepts the JSON content type %p', (contentType) => {
      expect(decodeBody(delivery(JSON.stringify(body), { contentType }), LIMIT)).toEqual(body);
    });

    it('reads a body without a content type as JSON, as many producers leave it out', () => {
      expect(decodeBody(delivery(JSON.stringify(body), { contentType: undefined }), LIMIT)).toEqual(body);
    });

    it.each(['utf-8', 'UTF8', 'identity'])('accepts the content encoding %p', (contentEncoding) => {
      expect(decodeBody(delivery(JSON.stringify(body), { contentEncoding }), LIMIT)).toEqual(body);
    });

    it('reads non-ASCII text as UTF-8', () => {
      const raw = delivery(JSON.stringify({ city: 'Zürich', note: '注文' }));

      expect(decodeBody(raw, LIMIT)).toEqual({ city: 'Zürich', note: '注文' });
    });

    it('accepts a body exactly as large as the limit', () => {
      const json = JSON.stringify({ pad: 'x'.repeat(LIMIT - 10) });
      expect(Buffer.byteLength(json)).toBe(LIMIT);

      expect(decodeBody(delivery(json), LIMIT)).toEqual({ pad: 'x'.repeat(LIMIT - 10) });
    });
  });

  describe('rejects', () => {
    it.each(['application/xml', 'text/plain', 'application/octet-stream', 'application/jsonp', 'application/x-protobuf'])(
      'the content type %p, saying it expects JSON',
      (contentType) => {
        const error = decodeErrorOf(delivery(JSON.stringify(body), { contentType }));

        expect(error.message).toMatch(/Unsupported content type/);
        expect(error.message).toContain('application/json');
      },
    );

    it('JSON in a charset other than UTF-8', () => {
      const raw = delivery(Buffer.from(JSON.stringify({ city: 'Zürich' }), 'latin1'), {
        contentType: 'application/json; charset=iso-8859-1',
      });

      expect(decodeErrorOf(raw).message).toMatch(/Unsupported content type "application\/json; charset=iso-8859-1"/);
    });

    it.each(['gzip', 'deflate', 'utf-16', 'base64'])('the content encoding %p', (contentEncoding) => {
      const error = decodeErrorOf(delivery(JSON.stringify(body), { contentEncoding }));

      expect(error.message).toMatch(/Unsupported content encoding/);
      expect(error.message).toContain(contentEncoding);
    });

    it('a body one byte over the limit, saying its size and the limit', () => {
      const json = JSON.stringify({ pad: 'x'.repeat(LIMIT - 9) });
      expect(Buffer.byteLength(json)).toBe(LIMIT + 1);

      expect(decodeErrorOf(delivery(json)).message).toBe(`Body of ${LIMIT + 1} bytes exceeds the limit of ${LIMIT} bytes`);
    });

    it('a body over the limit in bytes although under it in characters', () => {
      // 400 characters of three bytes each: 1200 bytes.
      const json = JSON.stringify({ note: '注'.repeat(400) });
      expect(json.length).toBeLessThan(LIMIT);

      expect(decodeErrorOf(delivery(json)).message).toMatch(/exceeds the limit/);
    });

    it.each(['{oops', '{"orderId": "o-1",}', '', 'undefined', "{'orderId': 'o-1'}"])(
      'the invalid JSON %p, saying it is not valid JSON',
      (text) => {
        expect(decodeErrorOf(delivery(text)).message).toMatch(/^Body is not valid JSON/);
      },
    );

    it.each([
      ['an array', '[{"orderId":"o-1"}]'],
      ['a number', '42'],
      ['a string', '"order"'],
      ['a boolean', 'true'],
      ['null', 'null'],
    ])('JSON that is %s, saying it must be an object', (_label, text) => {
      expect(decodeErrorOf(delivery(text)).message).toBe('Body must be a JSON object');
    });
  });
});
