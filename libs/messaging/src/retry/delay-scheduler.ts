// Chooses how delayed redelivery works on this broker (the plugin-free ladder, or the x-delayed-message plugin where
// it is wanted and present) and says where to publish a message so that it reaches a queue after a delay.
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AmqpConnection } from '../connection/amqp-connection';
import { MESSAGING_OPTIONS } from '../messaging.constants';
import type { ResolvedMessagingOptions } from '../options/messaging-options';
import { Topology } from '../topology/topology';
import { delayRoute, type DelayMechanism, type DelayRoute } from './delay-route';

@Injectable()
export class DelayScheduler {
  private readonly logger = new Logger('Messaging');
  private chosenMechanism?: DelayMechanism;
  private resolving?: Promise<DelayMechanism>;

  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly options: ResolvedMessagingOptions,
    private readonly connection: AmqpConnection,
    private readonly topology: Topology,
  ) {}

  /** The mechanism in use; the first call decides it (consumers set up concurrently and share one probe). */
  mechanism(): Promise<DelayMechanism> {
    this.resolving ??= this.decide().catch((error: unknown) => {
      this.resolving = undefined;
      throw error;
    });
    return this.resolving;
  }

  /** Where to publish a message for `queue` to arrive after `delayMs`. */
  route(queue: string, delayMs: number): DelayRoute {
    if (!this.chosenMechanism) throw new Error('Delayed redelivery used before its mechanism was chosen');
    return delayRoute(this.chosenMechanism, this.topology.names, queue, delayMs);
  }

  /** 'ladder' or 'plugin', once the first consumer has set up. */
  get chosen(): DelayMechanism | undefined {
    return this.chosenMechanism;
  }

  private async decide(): Promise<DelayMechanism> {
    const mode = this.options.delay;
    let mechanism: DelayMechanism;
    // The plugin is archived and does not run on RabbitMQ 4.3+: there it is not even probed for.
    const { delayPluginCanRun, version } = this.connection.semantics;
    if (mode === 'auto') {
      mechanism = delayPluginCanRun && (await this.brokerHasDelayPlugin()) ? 'plugin' : 'ladder';
      this.logger.log({ event: 'delay.mechanism_chosen', mode: 'auto', mechanism, brokerVersion: version?.text });
    } else {
      mechanism = mode;
      if (mechanism === 'plugin' && !delayPluginCanRun) {
        throw new Error(
          `delay: "plugin" was chosen but the x-delayed-message plugin does not run on RabbitMQ ${version?.text ?? '4.3+'} ` +
            '(use delay: "ladder" or "auto")',
        );
      }
      if (mechanism === 'plugin' && !(await this.brokerHasDelayPlugin())) {
        throw new Error(
          'delay: "plugin" was chosen but the broker has no x-delayed-message exchange type ' +
            '(enable rabbitmq_delayed_message_exchange, or use delay: "ladder" or "auto")',
        );
      }
    }
    this.chosenMechanism = mechanism;
    return mechanism;
  }

  private async brokerHasDelayPlugin(): Promise<boolean> {
    try {
      // On a connection of its own: without the plugin the broker closes the connection, not just the channel.
      await this.connection.withTemporaryConnection((channel) => this.topology.declareDelayedMessageExchange(channel));
      return true;
    } catch {
      return false;
    }
  }
}
