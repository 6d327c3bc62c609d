// The order of a messaging service's shutdown: readiness is already off (the service kit's health, onModuleDestroy);
// then the consumers stop and drain, then what must follow them (the outbox relay publishes what the drained
// handlers wrote); connections close last (onApplicationShutdown).
import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { ConsumerSupervisor } from '../consuming/consumer-supervisor';

@Injectable()
export class ShutdownSequence implements BeforeApplicationShutdown {
  private readonly afterDrain: Array<() => Promise<void>> = [];

  constructor(private readonly consumers: ConsumerSupervisor) {}

  /** Runs `step` once the consumers have drained, in the order steps were added. */
  afterConsumersDrain(step: () => Promise<void>): void {
    this.afterDrain.push(step);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.consumers.stop();
    for (const step of this.afterDrain) await step();
  }
}
