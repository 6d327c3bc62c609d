// The way of a message out of a producer, in order. This is the one place that lists the publish steps; each is a
// (publication, next) unit in steps/. The last step is where the message goes: "send" to the broker, or the outbox's
// write into the caller's transaction (the persistence library passes its own last step). An application's own steps
// (@PublishStep) go just before or after the step they name.
import { Injectable, type Type } from '@nestjs/common';
import { DiscoveryService, ModuleRef } from '@nestjs/core';
import { PUBLISH_STEP_METADATA } from '../messaging.constants';
import { chain } from '../pipeline/chain';
import { orderSteps, type OrderedStep, type PipelineRules } from '../pipeline/placed-steps';
import type { Publication } from './publication';
import type { PublishStep, PublishStepName } from './publish-step';
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

const RULES: PipelineRules = {
  decorator: '@PublishStep',
  metadataKey: PUBLISH_STEP_METADATA,
  steps: Object.keys(PUBLISH_STEPS),
  // Nothing is sent unvalidated, and nothing comes after the send.
  notBefore: ['validate'],
  notAfter: ['send'],
  signature: 'handle(publication, next)',
};

/** Runs one publication through the pipeline; rejects with the error of the step that refused it. */
export type PublishPipelineRun = (publication: Publication) => Promise<void>;

@Injectable()
export class PublishPipeline {
  private ordered?: Array<OrderedStep<PublishStep>>;

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

  private steps(): Array<OrderedStep<PublishStep>> {
    this.ordered ??= orderSteps<PublishStep>(this.discovery, RULES, (name) =>
      this.moduleRef.get<PublishStep>(PUBLISH_STEPS[name as PublishStepName], { strict: false }),
    );
    return this.ordered;
  }
}
