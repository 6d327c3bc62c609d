// What a publish step is, and @PublishStep, which places a step of the user's in the publish pipeline.
import { SetMetadata } from '@nestjs/common';
import { PUBLISH_STEP_METADATA } from '../messaging.constants';
import type { Publication } from './publication';

/** The library's publish steps, in pipeline order (publish-pipeline.ts lists them with what each does). */
export type PublishStepName = 'validate' | 'envelope' | 'correlation' | 'trace' | 'send';

export type NextPublishStep = () => Promise<void>;

/** One step of the way out: calls `next()` to go on, or throws to refuse the publish (the caller gets the error). */
export interface PublishStep {
  handle(publication: Publication, next: NextPublishStep): Promise<void>;
}

/** Where a step of the user's goes: after the message is validated and before it is traced and sent. */
export type PublishStepPlacement = { before: Exclude<PublishStepName, 'validate'> } | { after: Exclude<PublishStepName, 'send'> };

/**
 * Marks a provider as a publish step of the application, placed before or after a named step of the library's. It
 * runs for `publisher.publish()` and `outbox.add()` alike (for the outbox, when the row is written); placed before
 * "trace", it does not run again when the relay sends the row.
 */
export function PublishStep(placement: PublishStepPlacement): ClassDecorator {
  return SetMetadata(PUBLISH_STEP_METADATA, placement);
}
