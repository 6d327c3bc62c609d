// @MessageHandler: marks a method as the handler of one message class. It only records metadata.
import { assertMessageClass, type MessageClass } from '@app/messaging-core';
import { MESSAGE_HANDLER_METADATA } from '../messaging.constants';

export interface MessageHandlerOptions {
  /** Queue to consume. Default `<service>.<message-type>`. */
  queue?: string;
  /** Unacknowledged deliveries for this handler. Default: the module's prefetch. */
  prefetch?: number;
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
