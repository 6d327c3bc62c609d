// Publish step "send", the last for the broker: a persistent publish on the confirm channel, resolved by the broker's
// confirm. One that is not confirmed is sent again until publishTimeoutMs, then fails with PublishError: at once when
// the connection took its confirm with it (its node died: the next connection is to another node), after a pause when
// the broker nacked it (a quorum queue changing leader on a cluster, a full queue). One the broker refused outright
// (a missing exchange closes the channel) fails at once: it would be refused again.
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

/** The pause before a nacked publish is sent again: 100 ms, doubling, at most 1 s. */
export function resendPauseMs(sent: number): number {
  return Math.min(1000, 100 * 2 ** (sent - 1));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

@Injectable()
export class SendStep implements PublishStep, OnApplicationShutdown {
  private readonly logger = new Logger('Messaging');
  private channel?: ChannelWrapper;
  private closed = false;
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
    const timeoutMs = publication.timeoutMs ?? this.options.publishTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    try {
      for (let sent = 1; ; sent++) {
        const mark = this.connection.lossCount;
        const refusals = this.connection.refusalCount;
        try {
          await this.getChannel().publish(outgoing.exchange, outgoing.routingKey, outgoing.content, {
            ...outgoing.properties,
            timeout: sent === 1 ? timeoutMs : Math.max(1, deadline - Date.now()),
          });
          break;
        } catch (error) {
          // amqp-connection-manager keeps an unsent publish for the next connection, but fails one that was sent and
          // whose confirm did not come before the connection closed ("channel closed"): the broker may or may not
          // have it. Sent again, it may arrive twice (the inbox of @Idempotent handlers removes the second); failed,
          // the caller would have to resend it anyway, without knowing more.
          if (this.closed || this.connection.refusedSince(refusals) || Date.now() >= deadline) throw error;
          if (!this.connection.lostSince(mark)) await sleep(Math.min(resendPauseMs(sent), deadline - Date.now()));
          if (Date.now() >= deadline) throw error;
          this.logger.warn({
            event: 'message.publish_resent',
            messageId: outgoing.properties.messageId,
            type: outgoing.properties.type,
            exchange: outgoing.exchange,
            sent,
            reason: error instanceof Error ? error.message : String(error),
          });
        }
      }
    } catch (error) {
      counters.failed();
      const reason = error instanceof Error ? error.message : String(error);
      throw new PublishError(
        `Publish of ${outgoing.properties.type} ${outgoing.properties.messageId} to "${outgoing.exchange}" was not confirmed: ${reason}`,
        { cause: error },
      );
    }
    counters.confirmed();
    // Inside the producer span, so that the line carries its trace and span ids. Its fields are built only when debug
    // lines are on (LoggingModule keeps Nest's levels to pino's): the logger would build them before dropping the line.
    if (!Logger.isLevelEnabled('debug')) return;
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
    this.closed = true;
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
