// The transactional outbox as this library sees it. The persistence library provides it (OUTBOX_WRITER), so that code
// that knows only this library (the transport's client) can write a message into a caller's transaction.
import type { MessageClass, MessageData } from '@app/messaging-core';
import type { MessageTransaction } from '../consuming/message-context';
import type { PublishReceipt } from './message-publisher';
import type { OutgoingMessage, PublishOptions } from './outgoing-message';

export const OUTBOX_WRITER = Symbol('OUTBOX_WRITER');

export interface OutboxWriter {
  /** Validates and envelopes the message now and writes it in `transaction`: it is published iff that commits. */
  add<T extends object>(
    transaction: MessageTransaction,
    type: MessageClass<T>,
    data: MessageData<T> | T,
    options?: PublishOptions,
  ): Promise<PublishReceipt>;
  /**
   * Writes a message that was validated and enveloped earlier, as it is (its exchange and routing key included), in
   * `transaction`: a scheduled message's first hop into the delay ladder.
   */
  addPrepared(transaction: MessageTransaction, outgoing: OutgoingMessage, options?: { aggregateKey?: string }): Promise<void>;
}
