// Publishes validated messages and resolves only when the broker has confirmed them (the publish pipeline).
import { Injectable } from '@nestjs/common';
import { assertMessageClass, type MessageClass, type MessageData } from '@app/messaging-core';
import type { OutgoingMessage, PublishOptions } from './outgoing-message';
import { Publication } from './publication';
import { PublishPipeline, type PublishPipelineRun } from './publish-pipeline';

export interface PublishReceipt {
  messageId: string;
  correlationId: string;
}

@Injectable()
export class MessagePublisher {
  private toBroker?: PublishPipelineRun;
  private sendOnly?: PublishPipelineRun;
  private preparation?: PublishPipelineRun;

  constructor(private readonly pipeline: PublishPipeline) {}

  /**
   * Validates `data` against `type`, publishes it to the events exchange with the message type as routing key, and
   * resolves once the broker confirms. Rejects with MessageValidationError (nothing sent) or PublishError.
   */
  async publish<T extends object>(type: MessageClass<T>, data: MessageData<T> | T, options: PublishOptions = {}): Promise<PublishReceipt> {
    assertMessageClass(type);
    const publication = new Publication(type, data, options, 'broker');
    this.toBroker ??= this.pipeline.compose();
    await this.toBroker(publication);
    return receiptOf(publication.wire);
  }

  /** Validates and envelopes a message without sending it (the steps before "trace"). */
  async prepare<T extends object>(type: MessageClass<T>, data: MessageData<T> | T, options: PublishOptions = {}): Promise<OutgoingMessage> {
    assertMessageClass(type);
    const publication = new Publication(type, data, options, 'broker');
    this.preparation ??= this.pipeline.compose({ until: 'trace' });
    await this.preparation(publication);
    return publication.wire;
  }

  /** Sends a message enveloped earlier (an outbox row) as it is, and waits for the confirm. */
  async send(outgoing: OutgoingMessage, timeoutMs?: number): Promise<void> {
    this.sendOnly ??= this.pipeline.compose({ from: 'trace' });
    await this.sendOnly(Publication.enveloped(outgoing, timeoutMs));
  }
}

export function receiptOf(outgoing: OutgoingMessage): PublishReceipt {
  return { messageId: outgoing.properties.messageId, correlationId: String(outgoing.properties.correlationId) };
}
