// Chooses how delayed redelivery works on this broker (ladder or plugin) and declares what that choice needs.
import { Logger } from '@nestjs/common';
import type { Channel } from 'amqp-connection-manager';
import type { AmqpConnection } from '../connection/amqp-connection';
import type { DelayMode } from '../options/messaging-options';
import type { Topology } from '../topology/topology';
import { delayRoute, type DelayMechanism, type DelayRoute } from './delay-route';

export class DelayInfrastructure {
  private readonly logger = new Logger('Messaging');
  private mechanism?: DelayMechanism;
  private resolving?: Promise<DelayMechanism>;

  constructor(
    private readonly mode: DelayMode,
    private readonly connection: AmqpConnection,
    private readonly topology: Topology,
  ) {}

  /** Declares the delay objects that `queue` needs; the first call settles which mechanism is used. */
  async declareFor(channel: Channel, queue: string): Promise<void> {
    const mechanism = await this.resolve();
    if (mechanism === 'ladder') {
      await this.topology.declareDelayLadder(channel);
      return;
    }
    const exchange = this.topology.names.delayedMessageExchange;
    await channel.assertExchange(exchange, 'x-delayed-message', {
      durable: true,
      arguments: { 'x-delayed-type': 'direct' },
    });
    await channel.bindQueue(queue, exchange, queue);
  }

  /** Where to publish a message for `queue` to arrive after `delayMs`. */
  route(queue: string, delayMs: number): DelayRoute {
    if (!this.mechanism) throw new Error('Delay infrastructure used before it was declared');
    return delayRoute(this.mechanism, this.topology.names, queue, delayMs);
  }

  get chosen(): DelayMechanism | undefined {
    return this.mechanism;
  }

  private resolve(): Promise<DelayMechanism> {
    // Consumers set up concurrently; they share one decision (and one probe of the broker).
    this.resolving ??= this.decide().catch((error: unknown) => {
      this.resolving = undefined;
      throw error;
    });
    return this.resolving;
  }

  private async decide(): Promise<DelayMechanism> {
    let mechanism: DelayMechanism;
    if (this.mode === 'auto') {
      mechanism = (await this.brokerHasDelayPlugin()) ? 'plugin' : 'ladder';
      this.logger.log({ event: 'delay.mechanism_chosen', mode: 'auto', mechanism });
    } else {
      mechanism = this.mode;
      if (mechanism === 'plugin' && !(await this.brokerHasDelayPlugin())) {
        throw new Error(
          'delay: "plugin" was chosen but the broker has no x-delayed-message exchange type ' +
            '(enable rabbitmq_delayed_message_exchange, or use delay: "ladder" or "auto")',
        );
      }
    }
    this.mechanism = mechanism;
    return mechanism;
  }

  private async brokerHasDelayPlugin(): Promise<boolean> {
    try {
      // On a connection of its own: without the plugin the broker closes the connection, not just the channel.
      await this.connection.withTemporaryConnection((channel) =>
        channel.assertExchange(this.topology.names.delayedMessageExchange, 'x-delayed-message', {
          durable: true,
          arguments: { 'x-delayed-type': 'direct' },
        }),
      );
      return true;
    } catch {
      return false;
    }
  }
}
