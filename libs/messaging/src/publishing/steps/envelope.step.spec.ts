// Protects what goes on the wire for a validated message: body, identity, type, timestamp, persistence, schema version.
import { resolveMessagingOptions } from '../../options/messaging-options';
import type { PublishOptions } from '../outgoing-message';
import { Publication } from '../publication';
import { PublishEnvelopeStep } from './envelope.step';

class OrderPlaced {
  static readonly messageType = 'order.placed';
  static readonly schemaVersion = 3;
  orderId!: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A publication past the validate step. */
function validated(options: PublishOptions = {}): Publication {
  const publication = new Publication(OrderPlaced, { orderId: 'o-1' }, options, 'broker');
  publication.message = Object.assign(new OrderPlaced(), { orderId: 'o-1' });
  return publication;
}

function setup(exchange = 'domain.events') {
  const step = new PublishEnvelopeStep(resolveMessagingOptions({ serviceName: 'orders', exchange }, {}));
  const next = jest.fn(async (): Promise<void> => undefined);
  return { step, next };
}

describe('PublishEnvelopeStep', () => {
  it("routes the message to the module's exchange by its type, with the JSON body, before the rest runs", async () => {
    const { step, next } = setup('shop.events');
    const publication = validated();
    next.mockImplementation(async () => expect(publication.outgoing).toBeDefined());

    await step.handle(publication, next);

    expect(next).toHaveBeenCalledTimes(1);
    expect(publication.wire.exchange).toBe('shop.events');
    expect(publication.wire.routingKey).toBe('order.placed');
    expect(JSON.parse(publication.wire.content.toString('utf8'))).toEqual({ orderId: 'o-1' });
  });

  it('sets type, timestamp in seconds, JSON content type, the service as app id, persistence and the schema version', async () => {
    const { step, next } = setup();
    const publication = validated();
    const before = Math.floor(Date.now() / 1000);

    await step.handle(publication, next);

    const { properties } = publication.wire;
    expect(properties).toMatchObject({
      type: 'order.placed',
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      appId: 'orders',
      persistent: true,
    });
    expect(properties.timestamp).toBeGreaterThanOrEqual(before);
    expect(properties.timestamp).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect(properties.headers['x-schema-version']).toBe(3);
  });

  it('keeps the message id given, and gives each message a new UUID otherwise', async () => {
    const { step, next } = setup();
    const given = validated({ messageId: 'order-o-1-placed' });
    const first = validated();
    const second = validated();

    for (const publication of [given, first, second]) await step.handle(publication, next);

    expect(given.wire.properties.messageId).toBe('order-o-1-placed');
    expect(first.wire.properties.messageId).toMatch(UUID);
    expect(second.wire.properties.messageId).toMatch(UUID);
    expect(second.wire.properties.messageId).not.toBe(first.wire.properties.messageId);
  });

  it("keeps the caller's headers, but the library's own win over them", async () => {
    const { step, next } = setup();
    const publication = validated({ headers: { 'x-tenant': 't-1', 'x-schema-version': 99 } });

    await step.handle(publication, next);

    expect(publication.wire.properties.headers).toEqual({ 'x-tenant': 't-1', 'x-schema-version': 3 });
  });

  it('refuses a publication that has not been validated', () => {
    const { step, next } = setup();

    expect(() => step.handle(new Publication(OrderPlaced, { orderId: 'o-1' }, {}, 'broker'), next)).toThrow(
      /enveloped after it is validated/,
    );
    expect(next).not.toHaveBeenCalled();
  });
});
