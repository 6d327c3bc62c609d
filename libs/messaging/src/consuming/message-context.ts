// What a handler learns about the delivery it is handling, without touching raw broker objects.
import type { ConsumeMessage } from 'amqplib';
import { MessageHeaders } from '../topology/topology-names';

/**
 * Types that other libraries attach to a handler's context. The persistence library declares `transaction` here
 * (module augmentation), so `context.transaction` has its database's type wherever that library is in use.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by declaration merging
export interface MessageContextResources {}

/** The type of `context.transaction`: the idempotency store's transaction, once a library declares it. */
export type MessageTransaction = MessageContextResources extends { transaction: infer T } ? T : unknown;

const transactions = new WeakMap<MessageContext, unknown>();

/** Internal: hands the handler the idempotency store's transaction (see @Idempotent with the database store). */
export function bindTransaction(context: MessageContext, transaction: unknown): void {
  transactions.set(context, transaction);
}

export class MessageContext {
  readonly messageId: string;
  readonly messageType: string;
  readonly correlationId: string;
  readonly causationId?: string;
  readonly schemaVersion?: number;
  /** Number of this delivery, 1 for the first; retries count up, broker redeliveries do not. */
  readonly attempt: number;
  /** Broker redeliveries of this attempt (after a consumer crashed or its channel closed). */
  readonly redeliveries: number;
  readonly publishedAt?: Date;

  constructor(
    private readonly raw: ConsumeMessage,
    /** Queue the message was consumed from. */
    readonly queue: string,
    /** `Class.method` of the handler. */
    readonly handler: string,
  ) {
    const { properties } = raw;
    const headers = properties.headers ?? {};
    this.messageId = stringOr(properties.messageId, '');
    this.messageType = stringOr(properties.type, raw.fields.routingKey);
    this.correlationId = stringOr(headers[MessageHeaders.correlationId], stringOr(properties.correlationId, this.messageId));
    this.causationId = headers[MessageHeaders.causationId] as string | undefined;
    this.schemaVersion = positiveInt(headers[MessageHeaders.schemaVersion]);
    this.attempt = nonNegativeInt(headers[MessageHeaders.attempts]) + 1;
    this.redeliveries = Math.max(nonNegativeInt(headers[MessageHeaders.deliveryCount]), raw.fields.redelivered ? 1 : 0);
    this.publishedAt = typeof properties.timestamp === 'number' ? new Date(properties.timestamp * 1000) : undefined;
  }

  /**
   * The database transaction the handler's writes belong to: it also holds the inbox mark, so the effect and the
   * "seen" mark commit together. Write outbox messages in it for an atomic consume-transform-publish.
   * Only handlers marked @Idempotent() with the database store have one.
   */
  get transaction(): MessageTransaction {
    const transaction = transactions.get(this);
    if (!transaction) {
      throw new Error(`${this.handler} has no transaction: mark it @Idempotent() (database store) to get one`);
    }
    return transaction as MessageTransaction;
  }

  /** Headers as received. */
  get headers(): Readonly<Record<string, unknown>> {
    return this.raw.properties.headers ?? {};
  }

  /** The raw amqplib message, for the rare case that needs it. Never ack or nack it yourself: the library does. */
  getMessage(): ConsumeMessage {
    return this.raw;
  }
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' && value.length > 0 ? value : fallback;
}

function positiveInt(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isInteger(n) && n >= 1 ? n : undefined;
}

function nonNegativeInt(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isInteger(n) && n > 0 ? n : 0;
}
