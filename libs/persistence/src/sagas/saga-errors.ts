// Errors of sagas. A message for an instance that does not exist, under the 'dead-letter' policy, is dead-lettered
// with this error's message as the reason.
import { PermanentError } from '@app/messaging';

export class SagaInstanceNotFoundError extends PermanentError {
  override readonly name: string = 'SagaInstanceNotFoundError';
  constructor(
    readonly sagaType: string,
    readonly key: string,
    readonly messageType: string,
  ) {
    super(`No ${sagaType} saga with key "${key}" for ${messageType}`);
  }
}

/** A message whose correlation key is missing or empty: it can belong to no instance. */
export class SagaKeyError extends PermanentError {
  override readonly name: string = 'SagaKeyError';
}
