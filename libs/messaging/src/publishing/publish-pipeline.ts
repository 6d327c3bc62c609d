// The way of a message out of a producer, in order. This is the one place that lists the publish steps; each is a
// (publication, next) unit in steps/. The last step is where the message goes: "send" to the broker, or the outbox's
// write into the caller's transaction (the persistence library passes its own last step). An application's own steps
// (@PublishStep) go just before or after the step they name.
import { Injectable, type Type } from '@nestjs/common';
import { DiscoveryService, ModuleRef } from '@nestjs/core';
import { MessagingConfigError } from '@app/messaging-core';
import { PUBLISH_STEP_METADATA } from '../messaging.constants';
import { chain } from '../pipeline/chain';
import type { Publication } from './publication';
import type { PublishStep, PublishStepName, PublishStepPlacement } from './publish-step';
import { PublishCorrelationStep } from './steps/correlation.step';
import { PublishEnvelopeStep } from './steps/envelope.step';
import { SendStep } from './steps/send.step';
import { PublishTraceStep } from './steps/trace.step';
import { PublishValidateStep } from './steps/validate.step';

export const PUBLISH_STEPS = {
  /** class-transformer + class-validator on the message class: an invalid message goes nowhere. */
  validate: PublishValidateStep,
  /** Body, message id, type, timestamp, content type, persistent, schema version. */
  envelope: PublishEnvelopeStep,
  /** Correlation id (given, current or new) and causation id (the message being handled). */
  correlation: PublishCorrelationStep,
  /** A producer span (broker) or an internal one (outbox); traceparent/tracestate into the headers. */
  trace: PublishTraceStep,
  /** Publish with confirm, or (for the outbox) the row written in the caller's transaction. */
  send: SendStep,
} as const satisfies Record<PublishStepName, Type<PublishStep>>;

/** Runs one publication through the pipeline; rejects with the error of the step that refused it. */
export type PublishPipelineRun = (publication: Publication) => Promise<void>;

@Injectable()
export class PublishPipeline {
  private ordered?: Array<{ name: PublishStepName | undefined; step: PublishStep }>;

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly discovery: DiscoveryService,
  ) {}

  /**
   * The pipeline from step `from` (default: the first) to the end, with `last` in place of "send" when given, or up
   * to (without) step `until`. A message enveloped earlier (an outbox row) starts at "trace".
   */
  compose(options: { from?: PublishStepName; until?: PublishStepName; last?: PublishStep } = {}): PublishPipelineRun {
    const all = this.steps();
    const start = options.from ? all.findIndex((entry) => entry.name === options.from) : 0;
    const end = options.until ? all.findIndex((entry) => entry.name === options.until) : all.length;
    const steps = all.slice(start, end).map((entry) => (entry.name === 'send' && options.last ? options.last : entry.step));
    return chain<Publication, Promise<void>>(steps, () => Promise.resolve());
  }

  private steps(): Array<{ name: PublishStepName | undefined; step: PublishStep }> {
    this.ordered ??= this.order();
    return this.ordered;
  }

  private order(): Array<{ name: PublishStepName | undefined; step: PublishStep }> {
    const placed = this.applicationSteps();
    const steps: Array<{ name: PublishStepName | undefined; step: PublishStep }> = [];
    for (const [name, type] of Object.entries(PUBLISH_STEPS) as Array<[PublishStepName, Type<PublishStep>]>) {
      for (const p of placed) if ('before' in p.placement && p.placement.before === name) steps.push({ name: undefined, step: p.step });
      steps.push({ name, step: this.moduleRef.get(type, { strict: false }) });
      for (const p of placed) if ('after' in p.placement && p.placement.after === name) steps.push({ name: undefined, step: p.step });
    }
    return steps;
  }

  private applicationSteps(): Array<{ step: PublishStep; placement: PublishStepPlacement }> {
    const placed: Array<{ step: PublishStep; placement: PublishStepPlacement }> = [];
    for (const wrapper of this.discovery.getProviders()) {
      const placement = wrapper.metatype
        ? (Reflect.getMetadata(PUBLISH_STEP_METADATA, wrapper.metatype) as PublishStepPlacement | undefined)
        : undefined;
      if (!placement) continue;
      const name = (wrapper.name as string | undefined) ?? 'a publish step'; // Nest types a provider's name any
      // Checked at run time too: placements also come from JavaScript and from casts.
      const before = 'before' in placement ? (placement.before as string) : undefined;
      const after = 'after' in placement ? (placement.after as string) : undefined;
      const anchor = before ?? after;
      if (
        (before === undefined) === (after === undefined) ||
        !anchor ||
        !(anchor in PUBLISH_STEPS) ||
        before === 'validate' ||
        after === 'send'
      ) {
        throw new MessagingConfigError(
          `@PublishStep of ${name}`,
          'needs exactly one of { before } or { after }, naming a step between "validate" and "send"',
        );
      }
      const step = wrapper.instance as PublishStep | undefined;
      if (typeof step?.handle !== 'function') {
        throw new MessagingConfigError(`@PublishStep ${name}`, 'must be a provider with a handle(publication, next) method');
      }
      placed.push({ step, placement });
    }
    return placed;
  }
}
