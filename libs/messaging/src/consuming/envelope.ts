// Checks of a delivery's envelope, before its body is read: a message id, headers of the library's that hold what no
// owner would write, a consumer crash loop, a type meant for another handler, a schema newer than the handler knows.
// A producer bumps the version for a breaking change, so the handler must not guess: such a message waits in the
// dead-letter queue for a replay after the upgrade.
import { MessageDecodeError, type MessageClass } from '@app/messaging-core';
import { RedeliveryLimitError } from '../errors/redelivery-limit-error';
import { ownedHeaderProblemsOf, type MessageContext } from './message-context';

// C0 and C1 control characters and DEL: an id is copied into headers, log lines and database keys.
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Every message needs an id (the AMQP message-id property): idempotency keys, dead-letter replay and fault events are
 * keyed by it, and a message without one could be none of these. Refused as poison, naming the property to set.
 */
export function assertMessageId(messageId: string): void {
  if (messageId === '') {
    throw new MessageDecodeError('Message has no message id (the AMQP message-id property): publish every message with a unique id');
  }
  if (CONTROL_CHARACTER.test(messageId)) {
    throw new MessageDecodeError('Message id holds control characters: publish every message with a printable unique id');
  }
}

/** Headers the library and the broker own must hold what they would write (see owned-headers.ts). */
export function assertBelievableHeaders(context: MessageContext): void {
  const problems = ownedHeaderProblemsOf(context);
  if (problems.length > 0) throw new MessageDecodeError(`Message headers cannot be believed: ${problems.join('; ')}`);
}

export function assertWithinRedeliveryLimit(context: MessageContext, maxRedeliveries: number): void {
  if (context.redeliveries > maxRedeliveries) {
    throw new RedeliveryLimitError(`Redelivered ${context.redeliveries} times without being settled (consumer crash loop?)`);
  }
}

/** A delivery without a type property (or an empty one) is taken as the handler's type (its routing key brought it here). */
export function assertExpectedType(type: string | undefined, messageClass: MessageClass): void {
  if (type !== undefined && type !== '' && type !== messageClass.messageType) {
    throw new MessageDecodeError(`Unknown message type "${type}" for a handler of "${messageClass.messageType}"`);
  }
}

export function assertKnownSchemaVersion(received: number | undefined, messageClass: MessageClass): void {
  if (received !== undefined && received > messageClass.schemaVersion) {
    throw new MessageDecodeError(
      `${messageClass.messageType} has schema version ${received}, newer than the ${messageClass.schemaVersion} this handler knows`,
    );
  }
}
