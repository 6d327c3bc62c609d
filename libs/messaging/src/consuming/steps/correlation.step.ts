// Step "correlation": the message's correlation id, and its own id as the cause, are current (AsyncLocalStorage) for
// everything that follows: what the handler publishes carries them, and so does every log line.
import { Injectable } from '@nestjs/common';
import { runWithCorrelation } from '../../correlation/correlation-context';
import type { ConsumeStep, NextStep } from '../consume-step';
import type { Delivery } from '../delivery';

@Injectable()
export class CorrelationStep implements ConsumeStep {
  handle(delivery: Delivery, next: NextStep): void | Promise<void> {
    const { context } = delivery;
    return runWithCorrelation({ correlationId: context.correlationId, causationId: context.messageId }, next);
  }
}
