// What a consume step is, and @ConsumeStep, which places a step of the user's in the consume pipeline.
import { SetMetadata } from '@nestjs/common';
import { CONSUME_STEP_METADATA } from '../messaging.constants';
import type { HandlerDefinition } from '../handlers/handler-definition';
import type { Delivery } from './delivery';

/** The library's consume steps, in pipeline order (consume-pipeline.ts lists them with what each does). */
export type ConsumeStepName =
  'trace' | 'outcome' | 'reply' | 'envelope' | 'decode' | 'correlation' | 'validate' | 'dependencies' | 'idempotency' | 'invoke';

/** Runs the rest of the pipeline; may return a promise. */
export type NextStep = () => void | Promise<void>;

/**
 * One step of the way through a consumer. `handle` calls `next()` to go on and returns what it returns (or a promise
 * of it), returns without calling it to end the delivery there as handled, or throws to fail the delivery: the
 * outcome step then retries or dead-letters it, as it does for a handler's error.
 */
export interface ConsumeStep {
  handle(delivery: Delivery, next: NextStep): void | Promise<void>;
  /**
   * Called once per handler when consumers start: the step to run for that handler (this one, or one prepared for
   * it), or null to leave the step out of its pipeline. Without it, the step runs for every handler.
   */
  forHandler?(handler: HandlerDefinition): ConsumeStep | null;
}

/** Where a step of the user's goes: just before or just after one of the library's steps. */
export type ConsumeStepPlacement =
  { before: Exclude<ConsumeStepName, 'trace' | 'outcome'> } | { after: Exclude<ConsumeStepName, 'trace' | 'invoke'> };

/**
 * Marks a provider as a consume step of the application, placed before or after a named step of the library's.
 * The class must also be a provider (listed in a module's `providers`) and implement ConsumeStep. Steps at the same
 * place run in the order Nest finds their providers.
 *
 *   @Injectable()
 *   @ConsumeStep({ after: 'envelope' })
 *   export class TenantCheck implements ConsumeStep { handle(delivery, next) { ...; return next(); } }
 */
export function ConsumeStep(placement: ConsumeStepPlacement): ClassDecorator {
  return SetMetadata(CONSUME_STEP_METADATA, placement);
}
