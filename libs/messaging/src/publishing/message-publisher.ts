// Publishes validated messages and resolves only when the broker has confirmed them.
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { ChannelWrapper } from 'amqp-connection-manager';
import { AmqpConnection } from '../connection/amqp-connection';
import { PublishError } from '../errors/message-errors';
import { assertMessageClass, type MessageClass, type MessageData } from '../message/message-class';
import { MESSAGING_OPTIONS } from '../messaging.constants';
import type { ResolvedMessagingOptions } from '../options/messaging-options';
import { MessagingMetrics } from '../telemetry/messaging-metrics';
import { tracePublish } from '../telemetry/message-tracing';
import { Topology } from '../topology/topology';
import { validateMessage } from '../validation/validate-message';
import { buildOutgoingMessage, type OutgoingMessage, type PublishOptions } from './outgoing-message';

export interface PublishReceipt {
  messageId: string;
  correlationId: string;
}

@Injectable()
export class MessagePublisher implements OnApplicationShutdown {
  private readonly logger = new Logger('Messaging');
  private channel?: ChannelWrapper;

  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly options: ResolvedMessagingOptions,
    private readonly connection: AmqpConnection,
    private readonly topology: Topology,
    private readonly metrics: MessagingMetrics,
  ) {}

  /**
   * Validates `data` against `type`, publishes it to the events exchange with the message type as routing key, and
   * resolves once the broker confirms. Rejects with MessageValidationError (nothing sent) or PublishError.
   */
  async publish<T extends object>(
    type: MessageClass<T>,
    data: MessageData<T> | T,
    options?: PublishOptions,
  ): Promise<PublishReceipt> {
    const outgoing = await this.prepare(type, data, options);
    await this.send(outgoing);
    return { messageId: outgoing.properties.messageId, correlationId: String(outgoing.properties.correlationId) };
  }

  /** Validates and envelopes a message without sending it (what the outbox stores). */
  async prepare<T extends object>(
    type: MessageClass<T>,
    data: MessageData<T> | T,
    options?: PublishOptions,
  ): Promise<OutgoingMessage> {
    assertMessageClass(type);
    const message = await validateMessage(type, data, { unknownFields: this.options.unknownFields });
    return buildOutgoingMessage(type, message, this.options.exchange, this.options.serviceName, options);
  }

  /** Sends an already enveloped message and waits for the confirm. */
  async send(outgoing: OutgoingMessage, timeoutMs = this.options.publishTimeoutMs): Promise<void> {
    const counters = this.metrics.forPublish(outgoing.exchange, outgoing.properties.type);
    try {
      await tracePublish(outgoing, async () => {
        await this.getChannel().publish(outgoing.exchange, outgoing.routingKey, outgoing.content, { ...outgoing.properties, timeout: timeoutMs });
        // Inside the producer span, so that the line carries its trace and span ids.
        this.logger.debug({
          event: 'message.published',
          messageId: outgoing.properties.messageId,
          type: outgoing.properties.type,
          exchange: outgoing.exchange,
          correlationId: outgoing.properties.correlationId,
        });
      });
      counters.confirmed();
    } catch (error) {
      counters.failed();
      const reason = error instanceof Error ? error.message : String(error);
      throw new PublishError(
        `Publish of ${outgoing.properties.type} ${outgoing.properties.messageId} to "${outgoing.exchange}" ` +
          `was not confirmed: ${reason}`,
        { cause: error },
      );
    }
  }

  // Not onModuleDestroy: handlers still draining in beforeApplicationShutdown may publish.
  async onApplicationShutdown(): Promise<void> {
    await this.channel?.close();
    this.channel = undefined;
  }

  private getChannel(): ChannelWrapper {
    this.channel ??= this.connection.createChannel({
      name: 'publisher',
      setup: (channel: Parameters<Topology['declareEventsExchange']>[0]) => this.topology.declareEventsExchange(channel),
    });
    return this.channel;
  }
}
