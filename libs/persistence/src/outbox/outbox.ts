// outbox.add(tx, Type, data): the publish pipeline (validated, enveloped, correlated, traced) ending in a row written
// in the caller's transaction instead of a send; the relay publishes the row once that transaction has committed.
import { Injectable } from '@nestjs/common';
import {
  assertMessageClass,
  Publication,
  PublishPipeline,
  type MessageClass,
  type MessageData,
  type OutgoingMessage,
  type PublishOptions,
  type PublishPipelineRun,
  type PublishReceipt,
  type PublishStep,
} from '@app/messaging';
import type { Transaction } from '../database/database';
import { outbox } from '../database/messaging-tables';

export interface OutboxAddOptions extends PublishOptions {
  /** Messages with the same key are published in the order they were added (e.g. the order id). */
  aggregateKey?: string;
}

/** A publication bound for the outbox table: the transaction it is written in, and its ordering key. */
class OutboxPublication extends Publication {
  constructor(
    type: MessageClass,
    data: unknown,
    options: PublishOptions,
    readonly transaction: Transaction,
    readonly aggregateKey: string | undefined,
  ) {
    super(type, data, options, 'outbox');
  }
}

/** The outbox's last publish step, in place of "send": the row, in the caller's transaction. */
const writeRow: PublishStep = {
  async handle(publication) {
    const { transaction, aggregateKey } = publication as OutboxPublication;
    await insertRow(transaction, publication.wire, aggregateKey);
  },
};

async function insertRow(transaction: Transaction, message: OutgoingMessage, aggregateKey: string | undefined): Promise<void> {
  await transaction.insert(outbox).values({
    messageId: message.properties.messageId,
    messageType: message.properties.type,
    exchange: message.exchange,
    routingKey: message.routingKey,
    content: message.content.toString('utf8'),
    properties: message.properties,
    aggregateKey: aggregateKey ?? null,
  });
}

@Injectable()
export class Outbox {
  private toOutbox?: PublishPipelineRun;

  constructor(private readonly pipeline: PublishPipeline) {}

  /**
   * Validates and envelopes the message now (the correlation of the current request or message is captured here) and
   * inserts it in `transaction`: it is published if, and only if, that transaction commits.
   */
  async add<T extends object>(
    transaction: Transaction,
    type: MessageClass<T>,
    data: MessageData<T> | T,
    options: OutboxAddOptions = {},
  ): Promise<PublishReceipt> {
    assertMessageClass(type);
    const { aggregateKey, ...publishOptions } = options;
    // The aggregate key orders ordered handlers' deliveries too, unless the class or the caller names another key.
    if (publishOptions.orderingKey === undefined && type.orderingKey === undefined && aggregateKey !== undefined) {
      publishOptions.orderingKey = aggregateKey;
    }
    const publication = new OutboxPublication(type, data, publishOptions, transaction, aggregateKey);
    this.toOutbox ??= this.pipeline.compose({ last: writeRow });
    await this.toOutbox(publication);
    const { properties } = publication.wire;
    return { messageId: properties.messageId, correlationId: String(properties.correlationId) };
  }

  /** Writes a message enveloped earlier, as it is (exchange and routing key included): a scheduled message's first hop. */
  async addPrepared(transaction: Transaction, outgoing: OutgoingMessage, options: { aggregateKey?: string } = {}): Promise<void> {
    await insertRow(transaction, outgoing, options.aggregateKey);
  }
}
