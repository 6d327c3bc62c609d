// The way of a delivery through a consumer, in order. This is the one place that lists the steps; each is a small
// (delivery, next) unit in steps/ with a spec of its own. A step calls next() to go on, returns without calling it to
// end the delivery as handled, or throws to fail it; the outcome step turns what the steps after it did into ack,
// retry or dead letter. Steps never call one another. An application's own steps (@ConsumeStep) go just before or
// after the step they name.
import { Injectable, type Type } from '@nestjs/common';
import { DiscoveryService, ModuleRef } from '@nestjs/core';
import type { HandlerDefinition } from '../handlers/handler-definition';
import { CONSUME_STEP_METADATA } from '../messaging.constants';
import type { ConsumeStep, ConsumeStepName } from './consume-step';
import { chain } from '../pipeline/chain';
import { orderSteps, type PipelineRules } from '../pipeline/placed-steps';
import type { Delivery } from './delivery';
import { CorrelationStep } from './steps/correlation.step';
import { DecodeStep } from './steps/decode.step';
import { DependenciesStep } from './steps/dependencies.step';
import { EnvelopeStep } from './steps/envelope.step';
import { IdempotencyStep } from './steps/idempotency.step';
import { InvokeStep } from './steps/invoke.step';
import { OutcomeStep } from './steps/outcome.step';
import { ReplyStep } from './steps/reply.step';
import { TraceStep } from './steps/trace.step';
import { ValidateStep } from './steps/validate.step';

export const CONSUME_STEPS = {
  /** A CONSUMER span around all that follows, child of the trace context the message carries. */
  trace: TraceStep,
  /** What follows returns: ack. Throws: retry later through the delay exchanges, or dead-letter with reasons + fault. */
  outcome: OutcomeStep,
  /** @MessagePattern handlers: a request with a reply-to is answered with the result or the error, and acked; never retried. */
  reply: ReplyStep,
  /** Message id, owned headers, type, schema version, redeliveries: a message of a consumer crash loop stops here. */
  envelope: EnvelopeStep,
  /** Content type, encoding, JSON object within the input limits (size, depth, strings, arrays, reserved keys). */
  decode: DecodeStep,
  /** The message's correlation id and its id as the cause, current for all the handler does. */
  correlation: CorrelationStep,
  /** class-transformer + class-validator on the handler's message class. */
  validate: ValidateStep,
  /** A dependency the handler needs (database, Redis...) is down: deferred, without counting an attempt. */
  dependencies: DependenciesStep,
  /** @Idempotent handlers: claim the key in the store; a duplicate is acked without running the handler. */
  idempotency: IdempotencyStep,
  /** The user's guards, interceptors, pipes and filters when there are any, then the method. */
  invoke: InvokeStep,
} as const satisfies Record<ConsumeStepName, Type<ConsumeStep>>;

/** Runs one delivery through a handler's pipeline. Never throws: the outcome step settles every failure. */
export type ConsumePipelineRun = (delivery: Delivery) => void | Promise<void>;

const RULES: PipelineRules = {
  decorator: '@ConsumeStep',
  metadataKey: CONSUME_STEP_METADATA,
  steps: Object.keys(CONSUME_STEPS),
  // Outside the outcome step an error would settle nothing; after invoke nothing runs.
  notBefore: ['trace', 'outcome'],
  notAfter: ['trace', 'invoke'],
  signature: 'handle(delivery, next)',
};

@Injectable()
export class ConsumePipeline {
  private ordered?: ConsumeStep[];

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly discovery: DiscoveryService,
  ) {}

  /** The pipeline of one handler, composed once when its consumer starts. */
  compose(handler: HandlerDefinition): ConsumePipelineRun {
    const steps: ConsumeStep[] = [];
    for (const step of this.steps()) {
      const prepared = step.forHandler ? step.forHandler(handler) : step;
      if (prepared) steps.push(prepared);
    }
    return chain<Delivery, void | Promise<void>>(steps, () => undefined);
  }

  /** The library's steps in order, with the application's placed among them. */
  steps(): ConsumeStep[] {
    this.ordered ??= this.order();
    return this.ordered;
  }

  private order(): ConsumeStep[] {
    const resolve = (name: string) => this.moduleRef.get<ConsumeStep>(CONSUME_STEPS[name as ConsumeStepName], { strict: false });
    return orderSteps<ConsumeStep>(this.discovery, RULES, resolve).map((entry) => entry.step);
  }
}
