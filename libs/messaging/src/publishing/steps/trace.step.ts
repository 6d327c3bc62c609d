// Publish step "trace": a PRODUCER span around the send, whose context the message carries (traceparent). For the
// outbox, an INTERNAL span around the write, and the message keeps the business transaction's context so that the
// relay's later publish joins the same trace.
import { Injectable } from '@nestjs/common';
import { injectTraceContext, traceInternal, tracePublish } from '../../tracing/message-tracing';
import type { Publication } from '../publication';
import type { NextPublishStep, PublishStep } from '../publish-step';

@Injectable()
export class PublishTraceStep implements PublishStep {
  handle(publication: Publication, next: NextPublishStep): Promise<void> {
    const outgoing = publication.wire;
    if (publication.destination === 'broker') return tracePublish(outgoing, next);
    return traceInternal(`outbox add ${outgoing.properties.type}`, { 'messaging.message.id': outgoing.properties.messageId }, () => {
      injectTraceContext(outgoing.properties.headers);
      return next();
    });
  }
}
