// Refuses a message written to a newer schema than the handler knows: a producer bumps the version for a breaking
// change, so the handler must not guess. The message waits in the dead-letter queue for a replay after the upgrade.
import { MessageDecodeError } from '../errors/message-errors';
import type { MessageClass } from '../message/message-class';

export function assertKnownSchemaVersion(received: number | undefined, messageClass: MessageClass): void {
  if (received !== undefined && received > messageClass.schemaVersion) {
    throw new MessageDecodeError(
      `${messageClass.messageType} has schema version ${received}, newer than the ${messageClass.schemaVersion} this handler knows`,
    );
  }
}
