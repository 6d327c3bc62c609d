// Step "decode": the body as a JSON object (content type, encoding, size and shape limits), or a MessageDecodeError
// saying why not.
import { Inject, Injectable } from '@nestjs/common';
import { MESSAGING_OPTIONS } from '../../messaging.constants';
import type { ResolvedMessagingOptions } from '../../options/messaging-options';
import type { ConsumeStep, NextStep } from '../consume-step';
import { decodeBody } from '../decode-body';
import type { Delivery } from '../delivery';

@Injectable()
export class DecodeStep implements ConsumeStep {
  constructor(@Inject(MESSAGING_OPTIONS) private readonly options: ResolvedMessagingOptions) {}

  handle(delivery: Delivery, next: NextStep): void | Promise<void> {
    delivery.body = decodeBody(delivery.raw, this.options.limits);
    return next();
  }
}
