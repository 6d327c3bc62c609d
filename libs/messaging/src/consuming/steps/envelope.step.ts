// Step "envelope": checks what the delivery says about itself before its body is read (see envelope.ts). The ids,
// attempt and headers were read into the MessageContext when it arrived (the counters by owned-headers.ts).
import { Inject, Injectable } from '@nestjs/common';
import { MESSAGING_OPTIONS } from '../../messaging.constants';
import type { ResolvedMessagingOptions } from '../../options/messaging-options';
import type { ConsumeStep, NextStep } from '../consume-step';
import { deliveredProperties } from '../delivered-properties';
import type { Delivery } from '../delivery';
import {
  assertBelievableHeaders,
  assertExpectedType,
  assertKnownSchemaVersion,
  assertMessageId,
  assertWithinRedeliveryLimit,
} from '../envelope';

@Injectable()
export class EnvelopeStep implements ConsumeStep {
  constructor(@Inject(MESSAGING_OPTIONS) private readonly options: ResolvedMessagingOptions) {}

  handle(delivery: Delivery, next: NextStep): void | Promise<void> {
    const { context, handler, raw } = delivery;
    assertMessageId(context.messageId);
    assertBelievableHeaders(context);
    assertWithinRedeliveryLimit(context, this.options.maxRedeliveries);
    assertExpectedType(deliveredProperties(raw).type, handler.messageClass);
    assertKnownSchemaVersion(context.schemaVersion, handler.messageClass);
    return next();
  }
}
