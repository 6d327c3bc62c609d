// One saga instance as its handler sees it while a message moves it: its state and data, and what it may do in the
// message's transaction (schedule a timeout to itself, cancel one, publish through the outbox, complete). Nothing is
// written until the handler returns; then the saga store saves it, with a history entry, in the same transaction.
import type { MessageClass, MessageData, MessageScheduler, PublishOptions, PublishReceipt, ScheduleWhen } from '@app/messaging';
import type { Transaction } from '../database/database';
import type { Outbox } from '../outbox/outbox';

/** The row of an instance as the store reads it. */
export interface SagaRecord {
  sagaType: string;
  sagaKey: string;
  state: string;
  data: Record<string, unknown>;
  version: number;
  waitingFor: string | null;
  schedules: string[];
  startedAt: Date;
  updatedAt: Date;
  completedAt: Date | null;
}

/** The message that moves the instance, for its history. */
export interface SagaCause {
  messageType?: string;
  messageId?: string;
}

/** The state of an instance before its first handler names one. */
export const NEW_SAGA_STATE = 'STARTED';

export class SagaInstance<D extends object = Record<string, unknown>> {
  /** The data the saga keeps between messages (JSON). Change it in place or replace it. */
  data: D;
  /** What it waits for next, shown to operators (e.g. "notification.sent"). */
  waitingFor: string | undefined;
  private currentState: string;
  private completedAt: Date | null;
  private readonly pending: Set<string>;
  private notes: string[] = [];
  /** Tokens to cancel when it is saved: its own cancellations, and on completion every pending schedule. */
  readonly cancelled = new Set<string>();

  constructor(
    private readonly record: SagaRecord,
    /** Created by this message (there was no instance). */
    readonly isNew: boolean,
    /** The transaction of the message's inbox mark: everything the saga does commits with it. */
    readonly transaction: Transaction,
    private readonly tools: { scheduler?: MessageScheduler; outbox: Outbox },
    readonly cause: SagaCause,
  ) {
    this.data = structuredClone(record.data) as D;
    this.waitingFor = record.waitingFor ?? undefined;
    this.currentState = record.state;
    this.completedAt = record.completedAt;
    this.pending = new Set(record.schedules);
  }

  get type(): string {
    return this.record.sagaType;
  }

  /** The correlation key. */
  get key(): string {
    return this.record.sagaKey;
  }

  get state(): string {
    return this.currentState;
  }

  /** The state it had when the message arrived. */
  get previousState(): string | undefined {
    return this.isNew ? undefined : this.record.state;
  }

  get version(): number {
    return this.record.version;
  }

  get startedAt(): Date {
    return this.record.startedAt;
  }

  get isCompleted(): boolean {
    return this.completedAt !== null;
  }

  get completionTime(): Date | null {
    return this.completedAt;
  }

  /** Schedules it made that have not come back or been cancelled. */
  get pendingSchedules(): string[] {
    return [...this.pending].filter((token) => !this.cancelled.has(token));
  }

  /** What its history entry for this message says, besides the states. */
  get note(): string | undefined {
    return this.notes.length > 0 ? this.notes.join('; ') : undefined;
  }

  /** Moves it to `state`; `note` goes into its history. */
  transitionTo(state: string, note?: string): void {
    if (typeof state !== 'string' || state === '') throw new TypeError('A saga state is a non-empty string');
    this.currentState = state;
    if (note) this.notes.push(note);
  }

  /** Ends it (in `state`, when given): its pending schedules are cancelled, later messages for it are ignored. */
  complete(state?: string, note?: string): void {
    if (state) this.transitionTo(state, note);
    else if (note) this.notes.push(note);
    this.completedAt = new Date();
    this.waitingFor = undefined;
    for (const token of this.pending) this.cancelled.add(token);
  }

  /**
   * Schedules a message (a timeout to itself: a type one of its @Handles methods takes, keyed to this instance), in
   * the message's transaction. Returns its token; completing the instance cancels it.
   */
  async schedule<T extends object>(
    type: MessageClass<T>,
    data: MessageData<T> | T,
    when: ScheduleWhen,
    options: PublishOptions = {},
  ): Promise<string> {
    const scheduler = this.tools.scheduler;
    if (!scheduler) throw new Error(`The ${this.type} saga cannot schedule: import SchedulingModule.forRoot() in the application`);
    const { token } = await scheduler.schedule(type, data, when, { ...options, transaction: this.transaction });
    this.pending.add(token);
    return token;
  }

  /** Cancels one of its schedules: its message is dropped when due. */
  cancelSchedule(token: string): void {
    this.cancelled.add(token);
  }

  /** Publishes a message through the outbox, in the message's transaction (sent once that commits). */
  publish<T extends object>(type: MessageClass<T>, data: MessageData<T> | T, options: PublishOptions = {}): Promise<PublishReceipt> {
    return this.tools.outbox.add(this.transaction, type, data, { aggregateKey: this.key, ...options });
  }

  /** Internal: a schedule of its own came back (its timeout arrived); it is no longer pending. */
  scheduleArrived(token: string): void {
    this.pending.delete(token);
  }
}
