// Publish step "validate": the data becomes an instance of the message class, checked with its rules; an invalid
// message is refused with every reason (MessageValidationError) before anything is written or sent.
import { Inject, Injectable } from '@nestjs/common';
import { checkMessage, type ValidateMessageOptions } from '@app/messaging-core';
import { MESSAGING_OPTIONS } from '../../messaging.constants';
import type { ResolvedMessagingOptions } from '../../options/messaging-options';
import type { Publication } from '../publication';
import type { NextPublishStep, PublishStep } from '../publish-step';

@Injectable()
export class PublishValidateStep implements PublishStep {
  private readonly validation: ValidateMessageOptions;

  constructor(@Inject(MESSAGING_OPTIONS) options: ResolvedMessagingOptions) {
    this.validation = { unknownFields: options.unknownFields };
  }

  async handle(publication: Publication, next: NextPublishStep): Promise<void> {
    if (!publication.type) throw new Error('A publication to validate needs its message class');
    publication.message = await checkMessage(publication.type, publication.data, this.validation);
    return next();
  }
}
