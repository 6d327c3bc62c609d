// Integration: scheduled messages on a real broker through the plugin-free delay ladder. A message comes when it is
// due (never before), keeps its id, and comes from a handler's context too; a delay longer than the ladder's height
// (here a short fake height: a hop limit of 2 s) re-enters the ladder until it is due; a cancelled schedule is never
// delivered, however often it comes back; bad input is refused with a clear error and nothing is sent.
import { Injectable, type INestApplication } from '@nestjs/common';
import type { ConsumeMessage } from 'amqplib';
import { Test } from '@nestjs/testing';
import { IsInt, IsString } from 'class-validator';
import {
  ConsumerSupervisor,
  Idempotent,
  InvalidScheduleError,
  MessageContext,
  MessageHandler,
  MessageScheduler,
  MessagingModule,
  MessageValidationError,
  ScheduleCancellations,
  ScheduledMessageRelay,
  SchedulingModule,
  UnknownMessageTypeError,
  type ScheduledOutcome,
} from '../src';
import { createTestVhost, eventually, type TestVhost } from '../../../test/support/test-broker';

class ReminderDue {
  static readonly messageType = 'reminder.due';
  static readonly schemaVersion = 1;
  @IsString() label!: string;
  @IsInt() dueAtMs!: number;
}

class ReminderRequested {
  static readonly messageType = 'reminder.requested';
  static readonly schemaVersion = 1;
  @IsString() label!: string;
  @IsInt() delayMs!: number;
}

interface Arrival {
  label: string;
  messageId: string;
  dueAtMs: number;
  at: number;
}

@Injectable()
class Reminders {
  readonly arrivals: Arrival[] = [];

  @MessageHandler(ReminderDue)
  @Idempotent({ store: 'memory' })
  onDue(message: ReminderDue, context: MessageContext): void {
    this.arrivals.push({ label: message.label, messageId: context.messageId, dueAtMs: message.dueAtMs, at: Date.now() });
  }

  /** Schedules from inside a handler, through its context. */
  @MessageHandler(ReminderRequested)
  async onRequested(message: ReminderRequested, context: MessageContext): Promise<void> {
    await context.schedule(ReminderDue, { label: message.label, dueAtMs: Date.now() + message.delayMs }, { delayMs: message.delayMs });
  }

  of(label: string): Arrival[] {
    return this.arrivals.filter((arrival) => arrival.label === label);
  }
}

const HOP_LIMIT_MS = 2000;

describe('scheduled messages (delay ladder, hop limit 2 s)', () => {
  let vhost: TestVhost;
  let app: INestApplication;
  let scheduler: MessageScheduler;
  let reminders: Reminders;
  const outcomes: Array<{ messageId: string; outcome: ScheduledOutcome }> = [];
  /** The last copy of each scheduled message that came back, by message id (to hand it to the relay again). */
  const returned = new Map<string, ConsumeMessage>();
  let relay: ScheduledMessageRelay;

  beforeAll(async () => {
    vhost = await createTestVhost('scheduling');
    const moduleRef = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({ url: vhost.url, serviceName: 'reminders', delay: 'ladder', shutdownTimeoutMs: 1000 }),
        SchedulingModule.forRoot({ hopLimitMs: HOP_LIMIT_MS }),
      ],
      providers: [Reminders],
    }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
    await app.get(ConsumerSupervisor).waitUntilReady();
    relay = app.get(ScheduledMessageRelay);
    await relay.waitUntilReady();
    // Watch what the relay makes of each scheduled message that comes back (its behaviour unchanged).
    const forward = relay.forward.bind(relay);
    jest.spyOn(relay, 'forward').mockImplementation(async (raw, now) => {
      const outcome = await forward(raw, now);
      outcomes.push({ messageId: String(raw.properties.messageId), outcome });
      returned.set(String(raw.properties.messageId), raw);
      return outcome;
    });
    scheduler = app.get(MessageScheduler);
    reminders = app.get(Reminders);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await vhost?.delete();
  }, 60_000);

  it('delivers a message scheduled by delay once it is due, not before, with the id the schedule gave', async () => {
    const scheduled = await scheduler.schedule(ReminderDue, { label: 'by-delay', dueAtMs: Date.now() + 1500 }, { delayMs: 1500 });

    await eventually(() => reminders.of('by-delay').length === 1, 'the scheduled message', 8000);
    const [arrival] = reminders.of('by-delay');
    expect(arrival.messageId).toBe(scheduled.messageId);
    expect(arrival.at).toBeGreaterThanOrEqual(scheduled.dueAt.getTime());
    expect(arrival.at - scheduled.dueAt.getTime()).toBeLessThan(1500);
  });

  it('delivers a message scheduled for an instant, and one a handler scheduled through its context', async () => {
    const at = new Date(Date.now() + 1200);
    await scheduler.schedule('reminder.due', { label: 'at-instant', dueAtMs: at.getTime() }, { at });
    await app.get(MessageScheduler).schedule(ReminderRequested, { label: 'from-handler', delayMs: 1000 }, { delayMs: 0 });

    await eventually(() => reminders.of('at-instant').length === 1 && reminders.of('from-handler').length === 1, 'both', 8000);
    expect(reminders.of('at-instant')[0].at).toBeGreaterThanOrEqual(at.getTime());
    const fromHandler = reminders.of('from-handler')[0];
    expect(fromHandler.at).toBeGreaterThanOrEqual(fromHandler.dueAtMs);
  });

  it('keeps a delay longer than the ladder is high: the message waits again until it is due', async () => {
    const delayMs = 5000;
    const scheduled = await scheduler.schedule(ReminderDue, { label: 'beyond-height', dueAtMs: Date.now() + delayMs }, { delayMs });

    await eventually(() => reminders.of('beyond-height').length === 1, 'the long-delayed message', 12_000);
    expect(reminders.of('beyond-height')[0].at).toBeGreaterThanOrEqual(scheduled.dueAt.getTime());
    // 5 s with hops of at most 2 s: back early twice (after 2 s and 4 s), then sent.
    const seen = outcomes.filter((entry) => entry.messageId === scheduled.messageId).map((entry) => entry.outcome);
    expect(seen).toEqual(['waiting', 'waiting', 'sent']);
  });

  it('never delivers a cancelled schedule, however often it comes back, and cancelling it twice is harmless', async () => {
    const store = app.get(ScheduleCancellations).current;
    const dropped = jest.spyOn(store, 'dropped' as never);
    const cancelled = await scheduler.schedule(ReminderDue, { label: 'cancelled', dueAtMs: Date.now() + 1000 }, { delayMs: 1000 });
    const kept = await scheduler.schedule(ReminderDue, { label: 'kept', dueAtMs: Date.now() + 2500 }, { delayMs: 2500 });
    await scheduler.cancel(cancelled.token);
    await scheduler.cancel(cancelled.token);

    // The kept one, due later, arrives: the cancelled one had every chance to come first.
    await eventually(() => reminders.of('kept').length === 1, 'the schedule that was kept', 8000);
    expect(reminders.of('cancelled')).toEqual([]);
    const seen = outcomes.filter((entry) => entry.messageId === cancelled.messageId).map((entry) => entry.outcome);
    expect(seen).toEqual(['cancelled']);
    // The store is told the cancellation did its work (it forgets it a day later): it does not keep every one forever.
    expect(dropped).toHaveBeenCalledWith(cancelled.token);
    expect(kept.messageId).not.toBe(cancelled.messageId);
    // The same copy once more (a redelivery): dropped again.
    await expect(relay.forward(returned.get(cancelled.messageId)!)).resolves.toBe('cancelled');
    expect(reminders.of('cancelled')).toEqual([]);
  });

  it('refuses a past instant, a negative delay, an unknown type and an invalid message, scheduling nothing', async () => {
    const past = new Date(Date.now() - 60_000);
    await expect(scheduler.schedule(ReminderDue, { label: 'x', dueAtMs: 0 }, { at: past })).rejects.toThrow(InvalidScheduleError);
    await expect(scheduler.schedule(ReminderDue, { label: 'x', dueAtMs: 0 }, { at: past })).rejects.toThrow(/is in the past/);
    await expect(scheduler.schedule(ReminderDue, { label: 'x', dueAtMs: 0 }, { delayMs: -1 })).rejects.toThrow(
      'delayMs must be a finite number of milliseconds, 0 or more; got -1',
    );
    await expect(scheduler.schedule('reminder.unknown', { label: 'x' }, { delayMs: 10 })).rejects.toThrow(UnknownMessageTypeError);
    await expect(scheduler.schedule('reminder.unknown', { label: 'x' }, { delayMs: 10 })).rejects.toThrow(
      /no message class of this service/,
    );
    await expect(scheduler.schedule(ReminderDue, { label: 42 } as never, { delayMs: 10 })).rejects.toThrow(MessageValidationError);
    await expect(scheduler.cancel('')).rejects.toThrow(InvalidScheduleError);
  });
});
