// Publish step "correlation": x-correlation-id from the options, else the request or message in progress, else new;
// x-causation-id from the message being handled.
import { Injectable } from '@nestjs/common';
import { correlate } from '../outgoing-message';
import type { Publication } from '../publication';
import type { NextPublishStep, PublishStep } from '../publish-step';

@Injectable()
export class PublishCorrelationStep implements PublishStep {
  handle(publication: Publication, next: NextPublishStep): Promise<void> {
    correlate(publication.wire, publication.options);
    return next();
  }
}
