// The broker redelivered a message more often than the library tolerates: its consumer keeps dying on it.
import { PermanentError } from '@app/messaging-core';

export class RedeliveryLimitError extends PermanentError {
  override readonly name: string = 'RedeliveryLimitError';
}
