// Consume step of SchedulingModule: gives each handler's context its scheduler, so that a handler schedules with
// `context.schedule(...)` (in its own transaction when it has one) and cancels with `context.cancelSchedule(token)`.
import { Injectable } from '@nestjs/common';
import { ConsumeStep, type NextStep } from '../consuming/consume-step';
import type { Delivery } from '../consuming/delivery';
import { bindScheduler } from '../consuming/message-context';
import { MessageScheduler } from './message-scheduler';

@Injectable()
@ConsumeStep({ after: 'envelope' })
export class ScheduleContextStep implements ConsumeStep {
  constructor(private readonly scheduler: MessageScheduler) {}

  handle(delivery: Delivery, next: NextStep): void | Promise<void> {
    bindScheduler(delivery.context, this.scheduler);
    return next();
  }
}
