// Publish step "send", the last for the broker: a persistent publish on the confirm channel, resolved by the broker's
// confirm; a nack, a timeout or a lost connection fails it with PublishError.
import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown } from '@nestjs/common';
import type { ChannelWrapper } from 'amqp-connection-manager';
import { PublishError } from '@app/messaging-core';
import { AmqpConnection } from '../../connection/amqp-connection';
import { NO_INSTRUMENTATION, type MessagingInstrumentation } from '../../instrumentation/messaging-instrumentation';
import { MESSAGING_INSTRUMENTATION, MESSAGING_OPTIONS } from '../../messaging.constants';
import type { ResolvedMessagingOptions } from '../../options/messaging-options';
import { Topology } from '../../topology/topology';
import type { Publication } from '../publication';
import type { PublishStep } from '../publish-step';

@Injectable()
export class SendStep implements PublishStep, OnApplicationShutdown {
  private readonly logger = new Logger('Messaging');
  private channel?: ChannelWrapper;
  private readonly instrumentation: MessagingInstrumentation;

  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly options: ResolvedMessagingOptions,
    private readonly connection: AmqpConnection,
    private readonly topology: Topology,
    @Optional() @Inject(MESSAGING_INSTRUMENTATION) instrumentation?: MessagingInstrumentation,
  ) {
    this.instrumentation = instrumentation ?? NO_INSTRUMENTATION;
  }

  async handle(publication: Publication): Promise<void> {
    const outgoing = publication.wire;
    const counters = this.instrumentation.forPublish(outgoing.exchange, outgoing.properties.type);
    try {
      await this.getChannel().publish(outgoing.exchange, outgoing.routingKey, outgoing.content, {
        ...outgoing.properties,
        timeout: publication.timeoutMs ?? this.options.publishTimeoutMs,
      });
    } catch (error) {
      counters.failed();
      const reason = error instanceof Error ? error.message : String(error);
      throw new PublishError(
        `Publish of ${outgoing.properties.type} ${outgoing.properties.messageId} to "${outgoing.exchange}" was not confirmed: ${reason}`,
        { cause: error },
      );
    }
    counters.confirmed();
    // Inside the producer span, so that the line carries its trace and span ids.
    this.logger.debug({
      event: 'message.published',
      messageId: outgoing.properties.messageId,
      type: outgoing.properties.type,
      exchange: outgoing.exchange,
      correlationId: outgoing.properties.correlationId,
    });
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
