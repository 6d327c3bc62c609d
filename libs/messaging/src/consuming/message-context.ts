// What a handler learns about the delivery it is handling, without touching raw broker objects.
import type { ConsumeMessage } from 'amqplib';
import { acceptCorrelationId, newCorrelationId } from '../correlation/correlation-context';
import type { MessageClass, MessageData } from '@app/messaging-core';
import type { PublishOptions } from '../publishing/outgoing-message';
import type { ScheduleWhen } from '../scheduling/schedule-time';
import { MessageHeaders } from '../topology/topology-names';
import { DEFAULT_HEADER_TRUST, readOwnedHeaders, type HeaderTrust } from './owned-headers';

/**
 * Types that other libraries attach to a handler's context. The persistence library declares `transaction` here
 * (module augmentation), so `context.transaction` has its database's type wherever that library is in use.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by declaration merging
export interface MessageContextResources {}

/** The type of `context.transaction`: the idempotency store's transaction, once a library declares it. */
export type MessageTransaction = MessageContextResources extends { transaction: infer T } ? T : unknown;

/**
 * Where a context keeps what is bound to it per delivery (the idempotency store's transaction, the scheduler):
 * properties under symbols of this module, not WeakMap entries (an entry in a WeakMap cost about 1 µs a delivery,
 * mostly in the garbage collector).
 */
const TRANSACTION = Symbol('transaction');
const SCHEDULER = Symbol('scheduler');

/** Internal: hands the handler the idempotency store's transaction (see @Idempotent with the database store). */
export function bindTransaction(context: MessageContext, transaction: unknown): void {
  context[TRANSACTION] = transaction;
}

/** What `context.schedule` calls: the MessageScheduler, when SchedulingModule is imported (see schedule-context.step.ts). */
export interface ContextScheduler {
  schedule<T extends object>(
    type: MessageClass<T> | string,
    data: MessageData<T> | T,
    when: ScheduleWhen,
    options?: PublishOptions & { transaction?: MessageTransaction },
  ): Promise<{ token: string; messageId: string; dueAt: Date }>;
  cancel(token: string, options?: { transaction?: MessageTransaction }): Promise<void>;
}

/** Internal: hands the handler's context the scheduler (SchedulingModule's consume step). */
export function bindScheduler(context: MessageContext, scheduler: ContextScheduler): void {
  context[SCHEDULER] = scheduler;
}

/** Only the contexts whose owned headers are wrong are kept here: the usual delivery costs no entry. */
const headerProblems = new WeakMap<MessageContext, readonly string[]>();

/** Internal: what is wrong with the context's owned headers (the envelope step refuses the delivery for it). */
export function ownedHeaderProblemsOf(context: MessageContext): readonly string[] {
  return headerProblems.get(context) ?? [];
}

export class MessageContext {
  readonly messageId: string;
  readonly messageType: string;
  readonly correlationId: string;
  readonly causationId?: string;
  readonly schemaVersion?: number;
  /**
   * Number of this delivery, 1 for the first; retries count up, broker redeliveries do not. Read from x-attempts only
   * on a retry copy (one that came through the delay exchanges): a publisher's x-attempts is not believed.
   */
  readonly attempt: number;
  /**
   * Broker redeliveries of this attempt (after a consumer crashed or its channel closed): x-delivery-count on a
   * redelivery from a quorum queue (the broker's own count), else 1 for a redelivery and 0 for a first delivery.
   */
  readonly redeliveries: number;
  readonly publishedAt?: Date;
  /** See bindTransaction and bindScheduler. */
  [TRANSACTION]?: unknown;
  [SCHEDULER]?: ContextScheduler;

  constructor(
    private readonly raw: ConsumeMessage,
    /** Queue the message was consumed from. */
    readonly queue: string,
    /** `Class.method` of the handler. */
    readonly handler: string,
    /** Which counter headers can be believed on this consumer's deliveries (see owned-headers.ts). */
    trust: HeaderTrust = DEFAULT_HEADER_TRUST,
    /** The attempt of a delivery an ordered handler retries in place: no header can carry it, the delivery never left. */
    attemptInPlace?: number,
  ) {
    const { properties } = raw;
    const headers = properties.headers ?? {};
    this.messageId = stringOr(properties.messageId, '');
    this.messageType = stringOr(properties.type, raw.fields.routingKey);
    // Ids from the producer are kept only when short and plain (as over HTTP): they go into every log line and every
    // message the handler publishes. The first acceptable one wins; a message with none starts a correlation of its own.
    this.correlationId =
      acceptCorrelationId(headers[MessageHeaders.correlationId]) ??
      acceptCorrelationId(properties.correlationId) ??
      acceptCorrelationId(this.messageId) ??
      newCorrelationId();
    this.causationId = acceptCorrelationId(headers[MessageHeaders.causationId]);
    const owned = readOwnedHeaders(raw, trust);
    if (owned.problems.length > 0) headerProblems.set(this, owned.problems);
    this.schemaVersion = owned.schemaVersion;
    this.attempt = attemptInPlace ?? owned.attempt;
    this.redeliveries = owned.redeliveries;
    this.publishedAt = typeof properties.timestamp === 'number' ? new Date(properties.timestamp * 1000) : undefined;
  }

  /**
   * The database transaction the handler's writes belong to: it also holds the inbox mark, so the effect and the
   * "seen" mark commit together. Write outbox messages in it for an atomic consume-transform-publish.
   * Only handlers marked @Idempotent() with the database store have one.
   */
  get transaction(): MessageTransaction {
    const transaction = this[TRANSACTION];
    if (!transaction) {
      throw new Error(`${this.handler} has no transaction: mark it @Idempotent() (database store) to get one`);
    }
    return transaction as MessageTransaction;
  }

  /**
   * Schedules a message for later (`{ delayMs }` or `{ at }`), caused by this one. When the handler has a transaction
   * (@Idempotent with the database store) the schedule is written in it, through the outbox: it exists if, and only if,
   * the handler's work commits. Returns the token that cancels it. Needs SchedulingModule in the application.
   */
  schedule<T extends object>(
    type: MessageClass<T> | string,
    data: MessageData<T> | T,
    when: ScheduleWhen,
    options: PublishOptions = {},
  ): Promise<{ token: string; messageId: string; dueAt: Date }> {
    return this.scheduler().schedule(type, data, when, { ...options, ...this.transactionOption() });
  }

  /** Cancels a schedule by its token (in the handler's transaction when it has one): its message is dropped when due. */
  cancelSchedule(token: string): Promise<void> {
    return this.scheduler().cancel(token, this.transactionOption());
  }

  private scheduler(): ContextScheduler {
    const scheduler = this[SCHEDULER];
    if (!scheduler) throw new Error(`${this.handler} cannot schedule: import SchedulingModule.forRoot() in the application`);
    return scheduler;
  }

  private transactionOption(): { transaction?: MessageTransaction } {
    return this[TRANSACTION] !== undefined ? { transaction: this[TRANSACTION] as MessageTransaction } : {};
  }

  /** Headers as received. */
  get headers(): Readonly<Record<string, unknown>> {
    return this.raw.properties.headers ?? {};
  }

  /** The message's type: what a Nest microservice's context calls its pattern (as RmqContext.getPattern() does). */
  getPattern(): string {
    return this.messageType;
  }

  /** The raw amqplib message, for the rare case that needs it. Never ack or nack it yourself: the library does. */
  getMessage(): ConsumeMessage {
    return this.raw;
  }
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' && value.length > 0 ? value : fallback;
}
