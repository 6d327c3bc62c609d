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
/**
 * A handler's parameters as the library reads them: positional (message, context) when it declares none with
 * decorators, else its declared ones with @nestjs/microservices' @Ctx() read as the library's.
 */
export const HANDLER_PARAMS_METADATA = 'messaging:handler-params';
/** `ExecutionContext.getType()` of a message handler, for interceptors and guards that treat messages apart. */
export const MESSAGE_CONTEXT_TYPE = 'amqp';
/** `ExecutionContext.getType()` of an @EventPattern or @MessagePattern handler, as in any Nest microservice. */
export const RPC_CONTEXT_TYPE = 'rpc';
