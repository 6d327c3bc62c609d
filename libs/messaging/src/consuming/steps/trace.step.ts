// Step "trace": a CONSUMER span around everything that follows, child of the trace context the message carries.
// Without an OpenTelemetry SDK it costs one check.
import { Injectable } from '@nestjs/common';
import { traceConsume } from '../../tracing/message-tracing';
import type { ConsumeStep, NextStep } from '../consume-step';
import type { Delivery } from '../delivery';

@Injectable()
export class TraceStep implements ConsumeStep {
  handle(delivery: Delivery, next: NextStep): void | Promise<void> {
    return traceConsume(delivery.raw, delivery.handler.queue, delivery.context.correlationId, next);
  }
}
