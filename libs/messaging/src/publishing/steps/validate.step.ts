// Publish step "validate": the data becomes an instance of the message class, checked with its rules and with the
// input limits its consumers apply (depth, string and array lengths, reserved keys); an invalid message is refused
// with every reason (MessageValidationError) before anything is written or sent, rather than dead-lettered later.
import { Inject, Injectable } from '@nestjs/common';
import {
  checkInputLimits,
  checkMessage,
  InputLimitError,
  MessageValidationError,
  type InputLimits,
  type ValidateMessageOptions,
} from '@app/messaging-core';
import { MESSAGING_OPTIONS } from '../../messaging.constants';
import type { ResolvedMessagingOptions } from '../../options/messaging-options';
import type { Publication } from '../publication';
import type { NextPublishStep, PublishStep } from '../publish-step';

@Injectable()
export class PublishValidateStep implements PublishStep {
  private readonly validation: ValidateMessageOptions;
  private readonly limits: InputLimits;

  constructor(@Inject(MESSAGING_OPTIONS) options: ResolvedMessagingOptions) {
    this.validation = { unknownFields: options.unknownFields };
    this.limits = options.limits;
  }

  async handle(publication: Publication, next: NextPublishStep): Promise<void> {
    const { type } = publication;
    if (!type) throw new Error('A publication to validate needs its message class');
    let message: object;
    try {
      message = await checkMessage(type, publication.data, this.validation);
    } catch (error) {
      // Reading data that nests without end (a cycle in a declared field, an absurd depth) overflows the stack.
      if (!(error instanceof RangeError)) throw error;
      throw new MessageValidationError(type.messageType, [{ path: '(message)', reasons: ['nested too deep to read (a cycle?)'] }]);
    }
    // What will be sent (declared fields only: undeclared ones were dropped or refused), within the consumers' limits.
    try {
      checkInputLimits(message, this.limits);
    } catch (error) {
      if (!(error instanceof InputLimitError)) throw error;
      throw new MessageValidationError(type.messageType, [{ path: error.path, reasons: [error.message] }]);
    }
    publication.message = message;
    return next();
  }
}
