// SchedulingModule: scheduled messages (MessageScheduler, and `context.schedule` in handlers), the consumer of the
// service's scheduled queue that sends them on once due, and where cancellations are kept. Import it once, beside
// MessagingModule; DatabaseModule makes the cancellations durable. Mounts no route.
import { Module, type DynamicModule } from '@nestjs/common';
import { MessageScheduler } from './message-scheduler';
import { ScheduleCancellations } from './schedule-cancellations';
import { ScheduleContextStep } from './schedule-context.step';
import { ScheduledMessageRelay } from './scheduled-message-relay';
import { SCHEDULING_OPTIONS } from './scheduling.constants';
import { resolveSchedulingOptions, type SchedulingOptions } from './scheduling-options';

@Module({})
export class SchedulingModule {
  static forRoot(options: SchedulingOptions = {}): DynamicModule {
    return {
      module: SchedulingModule,
      global: true,
      providers: [
        { provide: SCHEDULING_OPTIONS, useFactory: () => resolveSchedulingOptions(options) },
        ScheduleCancellations,
        MessageScheduler,
        ScheduledMessageRelay,
        ScheduleContextStep,
      ],
      exports: [SCHEDULING_OPTIONS, ScheduleCancellations, MessageScheduler, ScheduledMessageRelay],
    };
  }
}
