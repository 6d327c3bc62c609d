// The order of a messaging service's shutdown: readiness is already off (MessagingHealth, onModuleDestroy); then the
// consumers stop and drain, then the outbox relay publishes what the drained handlers wrote; connections close last.
import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { MessageHandlerRegistry } from '../consuming/message-handler-registry';
import { OutboxRelay } from '../outbox/outbox-relay';

@Injectable()
export class ShutdownSequence implements BeforeApplicationShutdown {
  constructor(
    private readonly registry: MessageHandlerRegistry,
    private readonly relay: OutboxRelay,
  ) {}

  async beforeApplicationShutdown(): Promise<void> {
    await this.registry.stopConsumers();
    await this.relay.stop();
  }
}
