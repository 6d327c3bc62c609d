// Step "outcome": what the steps after it return or throw becomes the delivery's fate, decided by decideOutcome (the
// one place for it) and carried out here: ack; a retry copy through the delay exchanges; or a dead-letter copy with
// the reasons in its headers, then a fault event. The delivery is acked only once its copy is confirmed; a copy that
// cannot be published gives the delivery back to its queue. Once the copy is confirmed the delivery is settled: the
// fault event, the metrics and the log lines after it can fail, but never give the delivery back. Never throws.
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { ConsumeMessage, Options } from 'amqplib';
import { deadLetterHeaders, errorMessage, retryHeaders } from '../../dead-letter/dead-letter-headers';
import { faultMessageId, faultOf, type Fault } from '../../dead-letter/fault';
import { describeFaultBody } from '../../dead-letter/fault-body';
import type { HandlerDefinition } from '../../handlers/handler-definition';
import {
  NO_INSTRUMENTATION,
  type ConsumeOutcome,
  type ConsumerInstrumentation,
  type MessagingInstrumentation,
} from '../../instrumentation/messaging-instrumentation';
import { MESSAGING_INSTRUMENTATION, MESSAGING_OPTIONS } from '../../messaging.constants';
import type { ResolvedMessagingOptions } from '../../options/messaging-options';
import { buildOutgoingMessage } from '../../publishing/outgoing-message';
import { DelayScheduler } from '../../retry/delay-scheduler';
import { MessageHeaders, TopologyNames } from '../../topology/topology-names';
import { recordSpanError } from '../../tracing/message-tracing';
import type { ConsumeStep, NextStep } from '../consume-step';
import { deliveredProperties } from '../delivered-properties';
import type { Delivery } from '../delivery';
import type { MessageContext } from '../message-context';
import { decideOutcome, type Outcome } from '../outcome';

type Failure = Exclude<Outcome, { action: 'ack' }>;

@Injectable()
export class OutcomeStep implements ConsumeStep {
  private readonly logger = new Logger('Messaging');
  private readonly instruments = new WeakMap<HandlerDefinition, ConsumerInstrumentation>();
  private readonly instrumentation: MessagingInstrumentation;

  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly options: ResolvedMessagingOptions,
    private readonly names: TopologyNames,
    private readonly delays: DelayScheduler,
    @Optional() @Inject(MESSAGING_INSTRUMENTATION) instrumentation?: MessagingInstrumentation,
  ) {
    this.instrumentation = instrumentation ?? NO_INSTRUMENTATION;
  }

  forHandler(handler: HandlerDefinition): ConsumeStep {
    this.instruments.set(handler, this.instrumentation.forConsumer(handler.queue, handler.messageClass.messageType));
    return this;
  }

  handle(delivery: Delivery, next: NextStep): void | Promise<void> {
    let result: void | Promise<void>;
    try {
      result = next();
    } catch (error) {
      return this.failed(delivery, error);
    }
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        () => this.succeeded(delivery),
        (error: unknown) => this.failed(delivery, error),
      );
    }
    this.succeeded(delivery);
  }

  private succeeded(delivery: Delivery): void {
    delivery.channel.ack(delivery);
    this.report(() => {
      this.measure(delivery, delivery.duplicate ? 'duplicate' : 'ack');
      // Debug: a line per message at info costs more CPU than the rest of the consume path (see bench/README.md). Its
      // fields are built only when debug lines are on: the logger would build them before dropping the line.
      if (!delivery.duplicate && Logger.isLevelEnabled('debug')) this.logger.debug({ event: 'message.acked', ...logFields(delivery) });
    });
  }

  private async failed(delivery: Delivery, error: unknown): Promise<void> {
    recordSpanError(error);
    let outcome: Failure;
    try {
      outcome = decideOutcome(error, delivery.context.attempt, delivery.handler) as Failure;
    } catch (classifierError) {
      // A classifier of the user's threw: the message is kept, with the handler's own error, for a person to look at.
      this.report(() =>
        this.logger.error({ event: 'message.classifier_failed', ...logFields(delivery), reason: errorMessage(classifierError) }),
      );
      outcome = { action: 'dead-letter', reason: 'permanent', error };
    }
    if (outcome.action !== 'dead-letter' && delivery.channel.retryInPlace) {
      this.retryInPlace(delivery, outcome);
      return;
    }
    let deadLetterHeaders: Record<string, unknown> | undefined;
    try {
      if (outcome.action === 'retry' || outcome.action === 'defer') await this.sendDelayedCopy(delivery, outcome);
      else deadLetterHeaders = await this.deadLetter(delivery, outcome);
    } catch (publishError) {
      // The copy did not reach the broker: give the delivery back rather than lose it.
      this.report(() =>
        this.logger.error({ event: 'message.settle_publish_failed', ...logFields(delivery), reason: errorMessage(publishError) }),
      );
      await delivery.channel.requeue(delivery);
      return;
    }
    // The copy is confirmed: the delivery's fate is sealed, and nothing below may give it back (that would be a second copy).
    if (outcome.action === 'dead-letter' && deadLetterHeaders) {
      this.report(() =>
        this.logger.error({
          event: 'message.dead_lettered',
          ...logFields(delivery),
          errorType: outcome.reason,
          reason: errorMessage(outcome.error),
        }),
      );
      await this.publishFault(delivery, deadLetterHeaders);
    }
    delivery.channel.ack(delivery);
    this.report(() => {
      if (outcome.action === 'defer') this.measure(delivery, 'deferred', outcome.dependency);
      else this.measure(delivery, outcome.action, outcome.action === 'dead-letter' ? outcome.reason : undefined);
    });
  }

  /** Metrics and log lines of a delivery whose fate is sealed: their failure is reported, and changes nothing. */
  private report(work: () => void): void {
    try {
      work();
    } catch (error) {
      try {
        this.logger.error({ event: 'message.report_failed', reason: errorMessage(error) });
      } catch {
        // The logger itself fails: nothing is left to tell.
      }
    }
  }

  /**
   * An ordered handler's delivery is not copied: it stays unacked, holding back the later messages of its key, and its
   * consumer runs it again after the delay (the attempt counted for a retry, not for a deferral).
   */
  private retryInPlace(delivery: Delivery, outcome: Extract<Outcome, { action: 'retry' | 'defer' }>): void {
    delivery.channel.retryInPlace?.(delivery, outcome.delayMs, outcome.action === 'retry');
    this.report(() => {
      this.logger.warn({
        event: outcome.action === 'retry' ? 'message.retry_scheduled' : 'message.deferred',
        ...logFields(delivery),
        inPlace: true,
        delayMs: outcome.delayMs,
        ...(outcome.action === 'defer' ? { dependency: outcome.dependency } : {}),
        reason: errorMessage(outcome.error),
      });
      if (outcome.action === 'defer') this.measure(delivery, 'deferred', outcome.dependency);
      else this.measure(delivery, 'retry');
    });
  }

  /**
   * The copy through the delay exchanges: for a retry it counts the attempt that failed; for a deferral it keeps the
   * count it arrived with (a dependency outage uses up no attempt).
   */
  private async sendDelayedCopy(delivery: Delivery, outcome: Extract<Outcome, { action: 'retry' | 'defer' }>): Promise<void> {
    const { raw, handler, context } = delivery;
    const route = this.delays.route(handler.queue, outcome.delayMs);
    const attempts = outcome.action === 'retry' ? context.attempt : context.attempt - 1;
    await delivery.channel.publish(
      route.exchange,
      route.routingKey,
      raw.content,
      copyProperties(raw, { ...retryHeaders(raw, attempts), ...route.headers }),
    );
    this.report(() =>
      this.logger.warn({
        event: outcome.action === 'retry' ? 'message.retry_scheduled' : 'message.deferred',
        ...logFields(delivery),
        ...(outcome.action === 'defer' ? { dependency: outcome.dependency } : {}),
        delayMs: outcome.delayMs,
        reason: errorMessage(outcome.error),
      }),
    );
  }

  /** Publishes the dead-letter copy; resolves with its headers once the broker has confirmed it. */
  private async deadLetter(delivery: Delivery, outcome: Extract<Outcome, { action: 'dead-letter' }>): Promise<Record<string, unknown>> {
    const { raw, handler, context } = delivery;
    const headers = deadLetterHeaders(raw, {
      reason: outcome.reason,
      error: outcome.error,
      attempt: context.attempt,
      // The queue it came from: an ordered handler's partition, where a replay puts it back.
      queue: context.queue,
      handler: handler.name,
    });
    await delivery.channel.publish(
      this.names.deadLetterExchange,
      this.names.deadLetterQueue(handler.queue),
      raw.content,
      copyProperties(raw, headers),
    );
    return headers;
  }

  /**
   * The dead letter is safe in its queue: a fault event that cannot be sent is reported, not retried. Its body part is
   * bounded (describeFaultBody), so any consumer of faults accepts it; should building it still fail, the fault goes
   * out without the body part rather than not at all.
   */
  private async publishFault(delivery: Delivery, headers: Record<string, unknown>): Promise<void> {
    if (!this.options.publishFaults) return;
    const { raw, handler, context } = delivery;
    try {
      const fault: Fault = {
        messageId: context.messageId,
        messageType: handler.messageClass.messageType,
        correlationId: context.correlationId,
        queue: handler.queue,
        handler: handler.name,
        errorType: String(headers[MessageHeaders.errorType]),
        errorMessage: String(headers[MessageHeaders.errorMessage]),
        attempts: context.attempt,
        failedAt: String(headers[MessageHeaders.lastFailedAt]),
      };
      const faultClass = faultOf(handler.messageClass);
      const replays = Number(raw.properties.headers?.[MessageHeaders.replayCount]);
      const publishOptions = {
        // The same id if this dead-lettering happens again (a crash before the ack): consumers of faults can dedupe.
        messageId: faultMessageId({
          queue: context.queue,
          messageId: context.messageId,
          replays: Number.isInteger(replays) && replays > 0 ? replays : 0,
          attempt: context.attempt,
        }),
        correlationId: context.correlationId,
        causationId: context.messageId,
      };
      const { exchange, serviceName } = this.options;
      let outgoing;
      try {
        const body = describeFaultBody(raw.content, this.names.deadLetterQueue(handler.queue), this.options);
        outgoing = buildOutgoingMessage(faultClass, { ...fault, ...body }, exchange, serviceName, publishOptions);
      } catch (error) {
        this.report(() => this.logger.error({ event: 'fault.body_dropped', ...logFields(delivery), reason: errorMessage(error) }));
        outgoing = buildOutgoingMessage(faultClass, fault, exchange, serviceName, publishOptions);
      }
      await delivery.channel.publish(outgoing.exchange, outgoing.routingKey, outgoing.content, outgoing.properties);
    } catch (error) {
      this.report(() =>
        this.logger.error({
          event: 'fault.publish_failed',
          queue: handler.queue,
          messageId: context.messageId,
          reason: errorMessage(error),
        }),
      );
    }
  }

  private measure(delivery: Delivery, outcome: ConsumeOutcome, reason?: string): void {
    this.instruments.get(delivery.handler)?.outcome(outcome, (performance.now() - delivery.receivedAt) / 1000, reason);
  }
}

function isThenable(value: unknown): value is PromiseLike<void> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function logFields({ handler, context }: { handler: HandlerDefinition; context: MessageContext }) {
  return {
    queue: handler.queue,
    messageId: context.messageId,
    type: context.messageType,
    correlationId: context.correlationId,
    attempt: context.attempt,
  };
}

/**
 * Properties for a copy of a delivery (retry, dead letter): identity and content kept, persistent. Not `expiration`
 * (a dead letter must not expire, a delay must not be cut short) and not `userId` (the broker checks it against the
 * consumer's own login and would refuse the copy).
 */
function copyProperties(raw: ConsumeMessage, headers: Record<string, unknown>): Options.Publish {
  const { messageId, type, timestamp, contentType, contentEncoding, correlationId, appId, priority, replyTo } = deliveredProperties(raw);
  return { messageId, type, timestamp, contentType, contentEncoding, correlationId, appId, priority, replyTo, headers, persistent: true };
}
