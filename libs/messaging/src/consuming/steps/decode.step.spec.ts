// Protects reading the body: a JSON object on the delivery for the steps after, or a MessageDecodeError saying why not.
import { MessageDecodeError } from '@app/messaging-core';
import { deliveryOf, handlerFor, rawDelivery, type RawParts } from '../../../../../test/support/deliveries';
import { resolveMessagingOptions } from '../../options/messaging-options';
import { DecodeStep } from './decode.step';

class OrderPlaced {
  static readonly messageType = 'order.placed';
  static readonly schemaVersion = 1;
}

function setup(maxMessageBytes = 1024) {
  const step = new DecodeStep(resolveMessagingOptions({ serviceName: 'svc', maxMessageBytes }, {}));
  const next = jest.fn((): void | Promise<void> => undefined);
  const deliver = (parts: RawParts) => deliveryOf(handlerFor(OrderPlaced), rawDelivery(OrderPlaced.messageType, parts));
  return { step, next, deliver };
}

describe('DecodeStep', () => {
  it('puts the body, read as JSON, on the delivery before the rest runs, and returns what the rest returns', () => {
    const { step, next, deliver } = setup();
    const delivery = deliver({ body: '{"orderId":"o-1","lines":[{"sku":"a"}]}' });
    const rest = Promise.resolve();
    let seen: unknown;
    next.mockImplementation(() => {
      seen = delivery.body;
      return rest;
    });

    const result = step.handle(delivery, next);

    expect(seen).toEqual({ orderId: 'o-1', lines: [{ sku: 'a' }] });
    expect(result).toBe(rest);
  });

  it("refuses a body larger than the module's maxMessageBytes, before the rest runs", () => {
    const { step, next, deliver } = setup(16);
    const delivery = deliver({ body: { orderId: 'o-1', note: 'more than sixteen bytes' } });

    expect(() => step.handle(delivery, next)).toThrow(MessageDecodeError);
    expect(() => step.handle(delivery, next)).toThrow(/exceeds the limit of 16 bytes/);
    expect(next).not.toHaveBeenCalled();
    expect(delivery.body).toBeUndefined();
  });

  it.each([
    ['a content type other than JSON', { body: '{}', properties: { contentType: 'text/plain' } }, /Unsupported content type "text\/plain"/],
    ['a body that is not JSON', { body: '{"orderId":' }, /Body is not valid JSON/],
    ['a JSON array', { body: '[1,2]' }, /Body must be a JSON object/],
  ])('refuses %s as undecodable, before the rest runs', (_case, parts: RawParts, reason) => {
    const { step, next, deliver } = setup();

    expect(() => step.handle(deliver(parts), next)).toThrow(MessageDecodeError);
    expect(() => step.handle(deliver(parts), next)).toThrow(reason);
    expect(next).not.toHaveBeenCalled();
  });
});
