// Checks of a delivery's envelope, before its body is read: a consumer crash loop, a type meant for another handler,
// a schema newer than the handler knows. A producer bumps the version for a breaking change, so the handler must not
// guess: such a message waits in the dead-letter queue for a replay after the upgrade.
import { MessageDecodeError, type MessageClass } from '@app/messaging-core';
import { RedeliveryLimitError } from '../errors/redelivery-limit-error';
import type { MessageContext } from './message-context';

export function assertWithinRedeliveryLimit(context: MessageContext, maxRedeliveries: number): void {
  if (context.redeliveries > maxRedeliveries) {
    throw new RedeliveryLimitError(`Redelivered ${context.redeliveries} times without being settled (consumer crash loop?)`);
  }
}

/** A delivery without a type property is taken as the handler's type (its routing key brought it here). */
export function assertExpectedType(type: string | undefined, messageClass: MessageClass): void {
  if (type !== undefined && type !== messageClass.messageType) {
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
