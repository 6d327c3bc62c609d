// Protects the envelope checks before a body is read: a message id, believable owned headers, the handler's type, a
// known schema version, the redelivery limit.
import { MessageDecodeError } from '@app/messaging-core';
import { deliveryOf, handlerFor, rawDelivery, type RawParts } from '../../../../../test/support/deliveries';
import { RedeliveryLimitError } from '../../errors/redelivery-limit-error';
import { resolveMessagingOptions } from '../../options/messaging-options';
import { EnvelopeStep } from './envelope.step';

class InvoiceIssued {
  static readonly messageType = 'invoice.issued';
  static readonly schemaVersion = 2;
}

function setup(maxRedeliveries = 2) {
  const step = new EnvelopeStep(resolveMessagingOptions({ serviceName: 'svc', maxRedeliveries }, {}));
  const next = jest.fn((): void | Promise<void> => undefined);
  const deliver = (type: string, parts: RawParts = {}) => deliveryOf(handlerFor(InvoiceIssued), rawDelivery(type, parts));
  return { step, next, deliver };
}

describe('EnvelopeStep', () => {
  it("goes on with a delivery of the handler's type and schema version, returning what the rest returns", () => {
    const { step, next, deliver } = setup();
    const rest = Promise.resolve();
    next.mockReturnValue(rest);

    const result = step.handle(deliver('invoice.issued', { headers: { 'x-schema-version': 2 } }), next);

    expect(next).toHaveBeenCalledTimes(1);
    expect(result).toBe(rest);
  });

  it('goes on with an older schema version, and with a delivery that has no type property or no version', async () => {
    const { step, next, deliver } = setup();

    await step.handle(deliver('invoice.issued', { headers: { 'x-schema-version': 1 } }), next);
    await step.handle(deliver('invoice.issued', { properties: { type: undefined } }), next);

    expect(next).toHaveBeenCalledTimes(2);
  });

  it('refuses a delivery of another type as undecodable, before the rest runs', () => {
    const { step, next, deliver } = setup();

    expect(() => step.handle(deliver('invoice.voided'), next)).toThrow(MessageDecodeError);
    expect(() => step.handle(deliver('invoice.voided'), next)).toThrow(
      'Unknown message type "invoice.voided" for a handler of "invoice.issued"',
    );
    expect(next).not.toHaveBeenCalled();
  });

  it('refuses a schema version newer than the handler knows, before the rest runs', () => {
    const { step, next, deliver } = setup();

    expect(() => step.handle(deliver('invoice.issued', { headers: { 'x-schema-version': 3 } }), next)).toThrow(MessageDecodeError);
    expect(next).not.toHaveBeenCalled();
  });

  it("fails a delivery redelivered more often than the module's maxRedeliveries, before the rest runs", () => {
    const { step, next, deliver } = setup(2);

    expect(() => step.handle(deliver('invoice.issued', { headers: { 'x-delivery-count': 3 }, redelivered: true }), next)).toThrow(
      RedeliveryLimitError,
    );
    expect(next).not.toHaveBeenCalled();
  });

  it('lets the same redeliveries through under a higher maxRedeliveries', async () => {
    const { step, next, deliver } = setup(5);

    await step.handle(deliver('invoice.issued', { headers: { 'x-delivery-count': 3 }, redelivered: true }), next);

    expect(next).toHaveBeenCalledTimes(1);
  });

  it.each<[string, RawParts, RegExp]>([
    ['no message id', { properties: { messageId: undefined } }, /Message has no message id \(the AMQP message-id property\)/],
    ['an empty message id', { properties: { messageId: '' } }, /Message has no message id/],
    ['a message id with a control character', { properties: { messageId: 'a\u0000b' } }, /Message id holds control characters/],
  ])('refuses a delivery with %s as undecodable (dead-lettered as validation), before the rest runs', (_case, parts, reason) => {
    const { step, next, deliver } = setup();

    expect(() => step.handle(deliver('invoice.issued', parts), next)).toThrow(MessageDecodeError);
    expect(() => step.handle(deliver('invoice.issued', parts), next)).toThrow(reason);
    expect(next).not.toHaveBeenCalled();
  });

  it.each<[string, Record<string, unknown>]>([
    ['x-schema-version "abc"', { 'x-schema-version': 'abc' }],
    ['x-schema-version -1', { 'x-schema-version': -1 }],
    ['x-attempts "many"', { 'x-attempts': 'many' }],
    ['x-attempts -3', { 'x-attempts': -3 }],
    ['x-delivery-count 1.5', { 'x-delivery-count': 1.5 }],
  ])('refuses %s as poison with the header named, rather than reading it as absent', (_case, headers) => {
    const { step, next, deliver } = setup();
    const [name] = Object.keys(headers);

    expect(() => step.handle(deliver('invoice.issued', { headers }), next)).toThrow(MessageDecodeError);
    expect(() => step.handle(deliver('invoice.issued', { headers }), next)).toThrow(new RegExp(`cannot be believed: header ${name} is`));
    expect(next).not.toHaveBeenCalled();
  });

  it("lets a first delivery through whatever x-delivery-count a publisher set on it: it is not the broker's count", async () => {
    const { step, next, deliver } = setup(2);

    await step.handle(deliver('invoice.issued', { headers: { 'x-delivery-count': 999 }, redelivered: false }), next);

    expect(next).toHaveBeenCalledTimes(1);
  });
});
