// Publish step "send" of the in-memory transport: the enveloped message goes to the in-memory broker, which takes it
// at once (its "confirm"), or refuses a missing exchange as RabbitMQ would.
import { PublishError } from '@app/messaging';
import type { Publication, PublishStep } from '@app/messaging';
import type { MemoryBroker } from './memory-broker';

export class MemorySendStep implements PublishStep {
  constructor(private readonly broker: MemoryBroker) {}

  handle(publication: Publication): Promise<void> {
    const outgoing = publication.wire;
    try {
      this.broker.publish(outgoing.exchange, outgoing.routingKey, outgoing.content, outgoing.properties);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return Promise.reject(
        new PublishError(
          `Publish of ${outgoing.properties.type} ${outgoing.properties.messageId} to "${outgoing.exchange}" was not confirmed: ${reason}`,
          { cause: error },
        ),
      );
    }
    return Promise.resolve();
  }
}
