// Injection tokens and metadata keys of the messaging library.

export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');
/** Optional: where consume and publish outcomes are counted (the service kit's MetricsModule provides one). */
export const MESSAGING_INSTRUMENTATION = Symbol('MESSAGING_INSTRUMENTATION');
export const MESSAGE_HANDLER_METADATA = 'messaging:message-handler';
export const RETRYABLE_METADATA = 'messaging:retryable';
export const IDEMPOTENT_METADATA = 'messaging:idempotent';
export const CONSUME_STEP_METADATA = 'messaging:consume-step';
export const PUBLISH_STEP_METADATA = 'messaging:publish-step';
export const READINESS_CHECK_METADATA = 'messaging:readiness-check';
/** The positional parameters (message, context) of a handler that declares none with decorators. */
export const POSITIONAL_PARAMS_METADATA = 'messaging:positional-params';
/** `ExecutionContext.getType()` of a message handler, for interceptors and guards that treat messages apart. */
export const MESSAGE_CONTEXT_TYPE = 'amqp';
