import { MessageValidationError } from '@app/messaging-core';
import { assertMessageClass } from '@app/messaging-core';
import { validateMessage } from '@app/messaging-core';
import { Fault, faultMessageId, faultOf } from './fault';

class InvoiceSent {
  static readonly messageType = 'invoice.sent';
  static readonly schemaVersion = 3;
}

function goodFault(): Record<string, unknown> {
  return {
    messageId: 'm-1',
    messageType: 'invoice.sent',
    correlationId: 'c-1',
    queue: 'billing.invoice.sent',
    handler: 'InvoiceHandler.onSent',
    errorType: 'permanent',
    errorMessage: 'customer was deleted',
    attempts: 1,
    failedAt: '2026-03-01T12:00:00.000Z',
    message: { invoiceId: 'i-1' },
    original: { deadLetterQueue: 'billing.invoice.sent.dlq', bytes: 18, sha256: 'a'.repeat(64), carried: true },
  };
}

/** The form of a fault whose body was too big to carry: an excerpt and the reference. */
function faultByReference(): Record<string, unknown> {
  const { message: _message, ...rest } = goodFault();
  return {
    ...rest,
    messageExcerpt: { invoiceId: 'i-1' },
    original: { deadLetterQueue: 'billing.invoice.sent.dlq', bytes: 2_000_000, sha256: 'b'.repeat(64), carried: false },
  };
}

describe('faultOf', () => {
  it('gives the fault class the type fault.<message-type>', () => {
    expect(faultOf(InvoiceSent).messageType).toBe('fault.invoice.sent');
  });

  it('gives every fault class schema version 1, whatever the version of the failed message', () => {
    expect(faultOf(InvoiceSent).schemaVersion).toBe(1);
  });

  it('returns the same class every time for the same message type, so a handler and the publisher agree', () => {
    expect(faultOf(InvoiceSent)).toBe(faultOf(InvoiceSent));
  });

  it('accepts the message type as a string and returns the same class as for the message class', () => {
    expect(faultOf('invoice.sent')).toBe(faultOf(InvoiceSent));
  });

  it('returns different classes for different message types', () => {
    expect(faultOf('invoice.paid')).not.toBe(faultOf('invoice.sent'));
    expect(faultOf('invoice.paid').messageType).toBe('fault.invoice.paid');
  });

  it('builds a class that extends Fault and passes the message class check', () => {
    const faultClass = faultOf(InvoiceSent);

    expect(new faultClass()).toBeInstanceOf(Fault);
    expect(() => assertMessageClass(faultClass)).not.toThrow();
  });

  it('names the class after the failed message type, for readable logs', () => {
    expect(faultOf(InvoiceSent).name).toBe('Fault<invoice.sent>');
  });
});

describe('validating a fault', () => {
  it('accepts a well-formed fault and returns an instance of the fault class', async () => {
    const faultClass = faultOf(InvoiceSent);

    const fault = await validateMessage(faultClass, goodFault(), { unknownFields: 'reject' });

    expect(fault).toBeInstanceOf(faultClass);
    expect(fault).toMatchObject(goodFault());
  });

  it('accepts a fault without the failed message, as for an undecodable body', async () => {
    const { message: _message, ...withoutMessage } = goodFault();

    await expect(validateMessage(faultOf(InvoiceSent), withoutMessage, { unknownFields: 'reject' })).resolves.toBeDefined();
  });

  it('accepts a fault that carries its body by reference (an excerpt and where the whole is), even rejecting unknown fields', async () => {
    const fault = await validateMessage(faultOf(InvoiceSent), faultByReference(), { unknownFields: 'reject' });

    expect(fault.message).toBeUndefined();
    expect(fault.messageExcerpt).toEqual({ invoiceId: 'i-1' });
    expect(fault.original).toMatchObject({ deadLetterQueue: 'billing.invoice.sent.dlq', carried: false });
  });

  it('accepts a fault of an older library version, without the reference', async () => {
    const { original: _original, ...older } = goodFault();

    await expect(validateMessage(faultOf(InvoiceSent), older, { unknownFields: 'reject' })).resolves.toBeDefined();
  });

  it('rejects a reference whose digest is not a sha256 in hex', async () => {
    const data = { ...faultByReference(), original: { deadLetterQueue: 'q.dlq', bytes: 1, sha256: 'nope', carried: false } };

    const error = await validateMessage(faultOf(InvoiceSent), data, { unknownFields: 'strip' }).catch((e: unknown) => e);

    expect((error as MessageValidationError).issues.map((issue) => issue.path)).toEqual(['original.sha256']);
  });

  it('rejects a fault whose errorType is not a dead-letter reason', async () => {
    const data = { ...goodFault(), errorType: 'oops' };

    const error = await validateMessage(faultOf(InvoiceSent), data, { unknownFields: 'strip' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(MessageValidationError);
    expect((error as MessageValidationError).issues.map((issue) => issue.path)).toEqual(['errorType']);
  });

  it.each([
    ['attempts', 0],
    ['failedAt', 'yesterday'],
    ['message', 'not an object'],
  ])('rejects a fault with a bad %s', async (field, value) => {
    const error = await validateMessage(faultOf(InvoiceSent), { ...goodFault(), [field]: value }, { unknownFields: 'strip' }).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(MessageValidationError);
    expect((error as MessageValidationError).issues.map((issue) => issue.path)).toEqual([field]);
  });
});

describe('faultMessageId', () => {
  const failure = { queue: 'billing.order.placed', messageId: 'm-1', replays: 0, attempt: 3 };

  it('is the same UUID for the same dead-lettering, so a fault sent again after a crash is recognised', () => {
    expect(faultMessageId(failure)).toBe(faultMessageId({ ...failure }));
    expect(faultMessageId(failure)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('differs after a replay, on another queue, at another attempt, for another message', () => {
    const ids = new Set([
      faultMessageId(failure),
      faultMessageId({ ...failure, replays: 1 }),
      faultMessageId({ ...failure, queue: 'audit.order.placed' }),
      faultMessageId({ ...failure, attempt: 1 }),
      faultMessageId({ ...failure, messageId: 'm-2' }),
    ]);
    expect(ids.size).toBe(5);
  });
});
