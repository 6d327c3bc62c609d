// Publish step "envelope": body, message id, type, timestamp, content type, persistence and schema version.
import { Inject, Injectable } from '@nestjs/common';
import { MESSAGING_OPTIONS } from '../../messaging.constants';
import type { ResolvedMessagingOptions } from '../../options/messaging-options';
import { envelopeMessage } from '../outgoing-message';
import type { Publication } from '../publication';
import type { NextPublishStep, PublishStep } from '../publish-step';

@Injectable()
export class PublishEnvelopeStep implements PublishStep {
  constructor(@Inject(MESSAGING_OPTIONS) private readonly options: ResolvedMessagingOptions) {}

  handle(publication: Publication, next: NextPublishStep): Promise<void> {
    if (!publication.type || !publication.message) throw new Error('A publication is enveloped after it is validated');
    publication.outgoing = envelopeMessage(
      publication.type,
      publication.message,
      this.options.exchange,
      this.options.serviceName,
      publication.options,
    );
    return next();
  }
}
