// Step "reply" (@MessagePattern handlers): a request whose requester waits (it came with a reply-to) is answered here,
// with what the handler returned or with why it failed, whatever failed after this step: the envelope, decoding,
// validation, a dependency, a guard, the handler. The reply is published (and confirmed) before the outcome step acks,
// and an answered request is never retried nor dead-lettered: its requester waits now, not after a backoff. A request
// without a reply-to has no one waiting: it goes through the outcome step like any message. A request that comes after
// its requester stopped waiting (its x-request-deadline has passed) is acked without running the handler: nobody would
// read the reply, and the handler's effects would be those of a request its caller saw fail.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DependencyUnavailableError, MessageDecodeError } from '@app/messaging-core';
import { errorMessage } from '../../dead-letter/dead-letter-headers';
import type { HandlerDefinition } from '../../handlers/handler-definition';
import { MESSAGING_OPTIONS } from '../../messaging.constants';
import type { ResolvedMessagingOptions } from '../../options/messaging-options';
import { MessageHeaders, TopologyNames } from '../../topology/topology-names';
import { errorReply, resultReply } from '../../transport/reply-packet';
import type { ConsumeStep, NextStep } from '../consume-step';
import type { Delivery } from '../delivery';

/**
 * How far past its deadline a request may still be handled: the requester's and the responder's clocks may differ by
 * that much (NTP keeps them within milliseconds; this leaves room for a worse one), and a late handler costs less than a
 * request dropped while its requester still waits.
 */
export const DEADLINE_GRACE_MS = 1000;

@Injectable()
export class ReplyStep implements ConsumeStep {
  private readonly logger = new Logger('Messaging');

  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly options: ResolvedMessagingOptions,
    private readonly names: TopologyNames,
  ) {}

  forHandler(handler: HandlerDefinition): ConsumeStep | null {
    return handler.kind === 'request' ? this : null;
  }

  handle(delivery: Delivery, next: NextStep): void | Promise<void> {
    const { replyTo } = delivery.raw.properties as { replyTo?: unknown };
    if (replyTo === undefined || replyTo === '') return next();
    // The default exchange routes to any queue by name: a reply-to of another kind would put replies in a queue of
    // someone else's. Only the broker's own direct reply-to addresses are answered; anything else is poison.
    if (typeof replyTo !== 'string' || !this.names.isDirectReplyAddress(replyTo)) {
      throw new MessageDecodeError('A request may be answered only through direct reply-to (amq.rabbitmq.reply-to)');
    }
    const lateMs = msPastDeadline(delivery.raw.properties.headers?.[MessageHeaders.requestDeadline], Date.now());
    if (lateMs > DEADLINE_GRACE_MS) {
      const { context, handler } = delivery;
      this.logger.warn({
        event: 'request.expired',
        queue: handler.queue,
        messageId: context.messageId,
        type: context.messageType,
        correlationId: context.correlationId,
        lateMs,
      });
      return;
    }
    return this.answer(delivery, replyTo, next);
  }

  private async answer(delivery: Delivery, replyTo: string, next: NextStep): Promise<void> {
    const { context, handler } = delivery;
    let content: Buffer;
    try {
      await next();
      content = delivery.duplicate
        ? errorReply(new MessageDecodeError(`Request ${context.messageId} was handled already`))
        : resultReply(delivery.result);
    } catch (error) {
      content = errorReply(error, handler.classifiers);
      this.logger.warn({
        event: 'request.failed',
        queue: handler.queue,
        messageId: context.messageId,
        type: context.messageType,
        correlationId: context.correlationId,
        reason: errorMessage(error),
      });
    }
    // Confirmed before the outcome step acks. A reply the broker does not take defers the request (back in its queue
    // after a second, no attempt counted), to be answered again while its requester may still wait.
    await delivery.channel
      .publish(this.names.replyExchange, replyTo, content, {
        messageId: randomUUID(),
        // The requester matches a reply to its request by the request's id.
        correlationId: context.messageId,
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        timestamp: Math.floor(Date.now() / 1000),
        appId: this.options.serviceName,
        persistent: false,
        headers: { [MessageHeaders.correlationId]: context.correlationId, [MessageHeaders.causationId]: context.messageId },
      })
      .catch((error: unknown) => {
        throw new DependencyUnavailableError('broker', `The reply could not be published: ${errorMessage(error)}`, { cause: error });
      });
  }
}

/** How many ms `now` is past the deadline header (0 or less: not past; no or unreadable header: never past). */
function msPastDeadline(header: unknown, now: number): number {
  const text = typeof header === 'string' ? header : Buffer.isBuffer(header) ? header.toString('utf8') : undefined;
  const deadline = text === undefined ? NaN : Date.parse(text);
  return Number.isFinite(deadline) ? now - deadline : 0;
}
