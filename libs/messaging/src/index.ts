// Public API of the messaging runtime (AMQP). Anything not exported here is internal. What describes a message
// (message classes, errors, @Sensitive) is in @app/messaging-core and re-exported here for convenience.
export * from '@app/messaging-core';
export { MessagingModule, type MessagingModuleAsyncOptions } from './messaging.module';
export {
  AMQP_URL_FORM,
  amqpUrlFromEnv,
  DEFAULT_AMQP_URL,
  resolveMessagingOptions,
  type BackoffOptions,
  type DelayMode,
  type JitterMode,
  type MessagingModuleOptions,
  type QueueType,
  type ResolvedMessagingOptions,
  type ResolvedRetry,
  type RetryOptions,
  type TlsOptions,
} from './options/messaging-options';
export { MESSAGING_INSTRUMENTATION, MESSAGING_OPTIONS, MESSAGE_CONTEXT_TYPE } from './messaging.constants';
export { AmqpConnection } from './connection/amqp-connection';

// Handlers
export { MessageHandler, type MessageHandlerOptions } from './handlers/message-handler.decorator';
export { Ctx, Payload } from './handlers/message-params';
export type { HandlerDefinition } from './handlers/handler-definition';
export { MessageContext, type MessageContextResources, type MessageTransaction } from './consuming/message-context';
export { Retryable, type RetryableOptions } from './retry/retryable.decorator';
export { Idempotent, type IdempotentOptions, type IdempotencyStoreKind } from './idempotency/idempotent.decorator';
export type { IdempotencyClaim, IdempotencyResult, IdempotencyStore } from './idempotency/idempotency-store';
export { IdempotencyStores } from './idempotency/idempotency-stores';
export { MemoryIdempotencyStore } from './idempotency/memory-idempotency-store';

// The consume pipeline
export { CONSUME_STEPS, ConsumePipeline } from './consuming/consume-pipeline';
export { ConsumeStep, type ConsumeStepName, type ConsumeStepPlacement, type NextStep } from './consuming/consume-step';
export { Delivery } from './consuming/delivery';
export { ConsumerSupervisor, type QueueDepth } from './consuming/consumer-supervisor';
export { decideOutcome, type DeadLetterReason, type Outcome } from './consuming/outcome';
export { classifyError, defaultClassifier, type ErrorClassifier, type ErrorKind } from './errors/classify-error';
export { RedeliveryLimitError } from './errors/redelivery-limit-error';

// The publish pipeline
export { MessagePublisher, type PublishReceipt } from './publishing/message-publisher';
export { PUBLISH_STEPS, PublishPipeline, type PublishPipelineRun } from './publishing/publish-pipeline';
export { PublishStep, type NextPublishStep, type PublishStepName, type PublishStepPlacement } from './publishing/publish-step';
export { Publication, type PublishDestination } from './publishing/publication';
export type { OutgoingMessage, PublishOptions } from './publishing/outgoing-message';

// Dead letters and faults
export { Fault, faultOf } from './dead-letter/fault';
export {
  DeadLetterAdmin,
  DeadLetterNotFoundError,
  DeadLetterQueueNotFoundError,
  DEFAULT_BROWSE_LIMIT,
  InvalidReplaySelectorError,
  NotADeadLetterQueueError,
  ReplayHeaders,
  replayMatcher,
  type DeadLetterDetails,
  type DeadLetterGroup,
  type DeadLetterListing,
  type ReplayProgress,
  type ReplayResult,
  type ReplaySelector,
  type ReplaySkip,
} from './dead-letter/dead-letter-admin';
export { errorMessage } from './dead-letter/dead-letter-headers';

// Correlation, tracing, topology, lifecycle, health, instrumentation
export {
  currentCorrelation,
  runWithCorrelation,
  acceptCorrelationId,
  newCorrelationId,
  type CorrelationContext,
} from './correlation/correlation-context';
export { injectTraceContext, extractTraceContext, traceInternal, activeTraceIds } from './tracing/message-tracing';
export { TopologyNames, MessageHeaders, DELAY_LEVELS } from './topology/topology-names';
export { ShutdownSequence } from './lifecycle/shutdown-sequence';
export { ReadinessCheck, readinessCheckName, type ReadinessCheckable, type ReadinessResult } from './health/readiness-check';
export { Dependencies, type AddDependencyOptions } from './dependencies/dependencies';
export {
  DependencyMonitor,
  type DependencyListener,
  type DependencyMonitorOptions,
  type DependencyStatus,
} from './dependencies/dependency-monitor';
export type {
  ConsumeOutcome,
  ConsumerInstrumentation,
  InstrumentationSamplers,
  MessagingInstrumentation,
  PublishInstrumentation,
} from './instrumentation/messaging-instrumentation';
