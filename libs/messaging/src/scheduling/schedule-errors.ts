// Errors of scheduling: a schedule that cannot be (a past instant, a negative delay, a type nobody knows). Permanent:
// thrown in a handler, they dead-letter its message at once (trying again would fail the same way).
import { PermanentError } from '@app/messaging-core';

export class InvalidScheduleError extends PermanentError {
  override readonly name: string = 'InvalidScheduleError';
}

/** A message type given by name that no class of this service has (its handlers', or SchedulingModule's `messages`). */
export class UnknownMessageTypeError extends InvalidScheduleError {
  override readonly name: string = 'UnknownMessageTypeError';
  constructor(readonly messageType: string) {
    super(
      `Cannot schedule "${messageType}": no message class of this service has that type ` +
        '(pass the class itself, or list it in SchedulingModule.forRoot({ messages }))',
    );
  }
}
