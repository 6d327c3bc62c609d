// Protects reading the body: a JSON object on the delivery for the steps after, or a MessageDecodeError saying why not.
import { InputLimitError, MessageDecodeError } from '@app/messaging-core';
import { deliveryOf, handlerFor, rawDelivery, type RawParts } from '../../../../../test/support/deliveries';
import { resolveMessagingOptions, type MessagingModuleOptions } from '../../options/messaging-options';
import { DecodeStep } from './decode.step';

class OrderPlaced {
  static readonly messageType = 'order.placed';
  static readonly schemaVersion = 1;
}

function setup(maxMessageBytes = 1024, limits: MessagingModuleOptions['limits'] = {}) {
  const step = new DecodeStep(resolveMessagingOptions({ serviceName: 'svc', maxMessageBytes, limits }, {}));
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

describe('DecodeStep and the input limits', () => {
  it.each([
    ['nested deeper than limits.maxDepth', { body: '{"a":{"b":{"c":{}}}}' }, /nested deeper than the limit of 3 levels at a\.b\.c/],
    ['a string longer than limits.maxStringLength', { body: '{"note":"abcdefghijk"}' }, /String at note has 11 characters/],
    ['an array longer than limits.maxArrayLength', { body: '{"lines":[1,2,3,4,5]}' }, /Array at lines has 5 elements/],
    ['a __proto__ key', { body: '{"lines":[{"__proto__":{"admin":true}}]}' }, /Key "__proto__" at lines\.0 is not allowed/],
    ['a lone surrogate', { body: '{"email":"a\\ud800@x.io"}' }, /String at email is not well-formed Unicode/],
  ])('refuses a body %s, before the rest runs, naming the limit and the place', (_case, parts: RawParts, reason) => {
    const { step, next, deliver } = setup(1024, { maxDepth: 3, maxStringLength: 10, maxArrayLength: 4 });

    expect(() => step.handle(deliver(parts), next)).toThrow(InputLimitError);
    expect(() => step.handle(deliver(parts), next)).toThrow(reason);
    expect(next).not.toHaveBeenCalled();
  });

  it('refuses a body 50000 levels deep with the default limits, without overflowing the stack', () => {
    const { step, next, deliver } = setup(1024 * 1024);
    const delivery = deliver({ body: `{"a":${'['.repeat(50_000)}${']'.repeat(50_000)}}` });

    expect(() => step.handle(delivery, next)).toThrow(/nested deeper than the limit of 32 levels/);
    expect(next).not.toHaveBeenCalled();
  });
});
