// outbox.add(tx, Type, data): writes a validated, enveloped message in the caller's transaction, for the relay to send.
import { Injectable } from '@nestjs/common';
import type { MessageClass, MessageData } from '../message/message-class';
import type { Transaction } from '../persistence/database';
import { outbox } from '../persistence/messaging-tables';
import { MessagePublisher, type PublishReceipt } from '../publishing/message-publisher';
import type { OutgoingMessage, PublishOptions } from '../publishing/outgoing-message';
import { injectTraceContext, traceInternal } from '../telemetry/message-tracing';

export interface OutboxAddOptions extends PublishOptions {
  /** Messages with the same key are published in the order they were added (e.g. the order id). */
  aggregateKey?: string;
}

@Injectable()
export class Outbox {
  constructor(private readonly publisher: MessagePublisher) {}

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
    const { aggregateKey, ...publishOptions } = options;
    const message = await this.publisher.prepare(type, data, publishOptions);
    await traceInternal(`outbox add ${type.messageType}`, { 'messaging.message.id': message.properties.messageId }, async () => {
      // The relay publishes later, elsewhere: the row carries this context so the publish joins the same trace.
      injectTraceContext(message.properties.headers);
      await this.insert(transaction, message, aggregateKey);
    });
    return { messageId: message.properties.messageId, correlationId: String(message.properties.correlationId) };
  }

  private async insert(transaction: Transaction, message: OutgoingMessage, aggregateKey: string | undefined): Promise<void> {
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
}
