// Injection tokens and metadata keys of the messaging library.

export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');
export const MESSAGE_HANDLER_METADATA = 'messaging:message-handler';
export const MESSAGE_HANDLER_PARAMS_METADATA = 'messaging:message-handler-params';
export const RETRYABLE_METADATA = 'messaging:retryable';
/** `ExecutionContext.getType()` of a message handler, for interceptors and guards that treat messages apart. */
export const MESSAGE_CONTEXT_TYPE = 'amqp';
export const IDEMPOTENT_METADATA = 'messaging:idempotent';
