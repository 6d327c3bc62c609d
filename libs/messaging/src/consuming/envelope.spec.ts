import type { ConsumeMessage } from 'amqplib';
import { MessageDecodeError, PermanentError } from '@app/messaging-core';
import { RedeliveryLimitError } from '../errors/redelivery-limit-error';
import { assertExpectedType, assertKnownSchemaVersion, assertWithinRedeliveryLimit } from './envelope';
import { MessageContext } from './message-context';

class InvoiceIssued {
  static readonly messageType = 'invoice.issued';
  static readonly schemaVersion = 2;
}

function contextWith(deliveryCount: number | undefined, redelivered: boolean): MessageContext {
  const raw = {
    content: Buffer.from('{}'),
    fields: { deliveryTag: 1, redelivered, exchange: 'domain.events', routingKey: 'invoice.issued', consumerTag: 'c' },
    properties: {
      headers: deliveryCount === undefined ? {} : { 'x-delivery-count': deliveryCount },
      messageId: 'm-1',
      type: 'invoice.issued',
    },
  } as unknown as ConsumeMessage;
  return new MessageContext(raw, 'billing.invoice.issued', 'InvoiceHandler.onIssued');
}

describe('assertKnownSchemaVersion', () => {
  it('accepts the same or an older schema version, and a message without one', () => {
    expect(() => assertKnownSchemaVersion(2, InvoiceIssued)).not.toThrow();
    expect(() => assertKnownSchemaVersion(1, InvoiceIssued)).not.toThrow();
    expect(() => assertKnownSchemaVersion(undefined, InvoiceIssued)).not.toThrow();
  });

  it('refuses a newer schema version as undecodable, naming both versions', () => {
    expect(() => assertKnownSchemaVersion(3, InvoiceIssued)).toThrow(MessageDecodeError);
    expect(() => assertKnownSchemaVersion(3, InvoiceIssued)).toThrow(/schema version 3, newer than the 2/);
  });
});

describe('assertExpectedType', () => {
  it("refuses a type property other than the handler's, naming both", () => {
    expect(() => assertExpectedType('invoice.voided', InvoiceIssued)).toThrow(MessageDecodeError);
    expect(() => assertExpectedType('invoice.voided', InvoiceIssued)).toThrow(
      'Unknown message type "invoice.voided" for a handler of "invoice.issued"',
    );
  });

  it("accepts the handler's own type, and a delivery without a type property", () => {
    expect(() => assertExpectedType('invoice.issued', InvoiceIssued)).not.toThrow();
    expect(() => assertExpectedType(undefined, InvoiceIssued)).not.toThrow();
  });
});

describe('assertWithinRedeliveryLimit', () => {
  it('lets a delivery through up to the limit of broker redeliveries', () => {
    expect(() => assertWithinRedeliveryLimit(contextWith(undefined, false), 2)).not.toThrow();
    expect(() => assertWithinRedeliveryLimit(contextWith(2, true), 2)).not.toThrow();
  });

  it('fails a delivery redelivered more often, as permanent, saying how often', () => {
    let thrown: unknown;
    try {
      assertWithinRedeliveryLimit(contextWith(3, true), 2);
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(RedeliveryLimitError);
    expect(thrown).toBeInstanceOf(PermanentError);
    expect((thrown as Error).message).toMatch(/Redelivered 3 times/);
  });
});
