// Step "validate": the decoded body becomes an instance of the handler's message class, checked with its
// class-validator rules; an invalid one fails with MessageValidationError listing every issue.
import { Inject, Injectable } from '@nestjs/common';
import { checkMessage, type ValidateMessageOptions } from '@app/messaging-core';
import { MESSAGING_OPTIONS } from '../../messaging.constants';
import type { ResolvedMessagingOptions } from '../../options/messaging-options';
import type { ConsumeStep, NextStep } from '../consume-step';
import type { Delivery } from '../delivery';

@Injectable()
export class ValidateStep implements ConsumeStep {
  private readonly validation: ValidateMessageOptions;

  constructor(@Inject(MESSAGING_OPTIONS) options: ResolvedMessagingOptions) {
    this.validation = { unknownFields: options.unknownFields };
  }

  handle(delivery: Delivery, next: NextStep): void | Promise<void> {
    // Synchronous for a valid message (the usual case): no promise to wait for.
    const checked = checkMessage(delivery.handler.messageClass, delivery.body, this.validation);
    if (checked instanceof Promise) {
      return checked.then((message) => {
        delivery.message = message;
        return next();
      });
    }
    delivery.message = checked;
    return next();
  }
}
