// @MessageHandler: marks a method as the handler of one message class. It only records metadata.
import { assertMessageClass, type MessageClass } from '@app/messaging-core';
import { MESSAGE_HANDLER_METADATA } from '../messaging.constants';

export interface MessageHandlerOptions {
  /** Queue to consume. Default `<service>.<message-type>`. */
  queue?: string;
  /** Unacknowledged deliveries for this handler. Default: the module's prefetch. */
  prefetch?: number;
  /**
   * The dependencies (by name: "database", "redis", or one the application added) the handler needs: its consumer
   * pauses while one of them is down, and resumes when it is back. Default: the service's database, when it has
   * DatabaseModule. The store of an @Idempotent handler is always among them. `[]`: none but that store.
   */
  dependsOn?: readonly string[];
  /**
   * Handle the messages of one ordering key (the field the class names as `orderingKey`, or the key the publisher
   * gave) in the order they were published, whatever the number of instances: the queue is split into `partitions`
   * queues (default 8, at most 64) by key, each consumed by one instance at a time, and a failed message is retried in
   * place, holding back the later ones of its key. See "Ordered handlers" in the README.
   */
  ordered?: boolean | { partitions?: number };
}

export interface MessageHandlerMetadata extends MessageHandlerOptions {
  messageClass: MessageClass;
}

/**
 * The decorated method receives the validated message (an instance of `messageClass`) and a MessageContext.
 * Returning normally acks; throwing retries or dead-letters, depending on the error (see classifyError).
 */
export function MessageHandler(messageClass: MessageClass, options: MessageHandlerOptions = {}): MethodDecorator {
  assertMessageClass(messageClass);
  const metadata: MessageHandlerMetadata = { messageClass, ...options };
  return (_target, _key, descriptor) => {
    Reflect.defineMetadata(MESSAGE_HANDLER_METADATA, metadata, descriptor.value as object);
    return descriptor;
  };
}
