// Public API of the messaging runtime (AMQP). Anything not exported here is internal. What describes a message
// (message classes, errors, @Sensitive) is in @app/messaging-core and re-exported here for convenience.
export * from '@app/messaging-core';
export { MessagingModule, type MessagingModuleAsyncOptions } from './messaging.module';
export {
  AMQP_URL_FORM,
  amqpUrlFromEnv,
  amqpUrlsFromEnv,
  DEFAULT_AMQP_URL,
  resolveMessagingOptions,
  type BackoffOptions,
  type DelayMode,
  type JitterMode,
  type MessagingModuleOptions,
  type QueueLeaderLocator,
  type QueueType,
  type QuorumOptions,
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
export type { HandlerDefinition, HandlerKind } from './handlers/handler-definition';
export { HandlerDiscovery } from './handlers/handler-discovery';
export { MessageContext, type ContextScheduler, type MessageContextResources, type MessageTransaction } from './consuming/message-context';
export { Retryable, type RetryableOptions } from './retry/retryable.decorator';
export { Idempotent, type IdempotentOptions, type IdempotencyStoreKind } from './idempotency/idempotent.decorator';
export type { IdempotencyClaim, IdempotencyResult, IdempotencyStore } from './idempotency/idempotency-store';
export { IdempotencyStores } from './idempotency/idempotency-stores';
export { MemoryIdempotencyStore } from './idempotency/memory-idempotency-store';

// The consume pipeline
export { CONSUME_STEPS, ConsumePipeline } from './consuming/consume-pipeline';
export { ConsumeStep, type ConsumeStepName, type ConsumeStepPlacement, type NextStep } from './consuming/consume-step';
export { Delivery } from './consuming/delivery';
export { ConsumerSupervisor, type ConsumerFactory, type HandlerConsumer, type QueueDepth } from './consuming/consumer-supervisor';
// What another transport of the same pipelines needs (the in-memory one of @app/testing)
export type { DeliveryChannel } from './consuming/delivery';
export type { ConsumerDependencies } from './consuming/message-consumer';
export type { ConsumePipelineRun } from './consuming/consume-pipeline';
export { headerTrustFor, type HeaderTrust } from './consuming/owned-headers';
export { brokerSemantics, parseBrokerVersion, type BrokerSemantics } from './connection/broker-semantics';
export { SendStep } from './publishing/steps/send.step';
export { DelayScheduler } from './retry/delay-scheduler';
export { decideOutcome, type DeadLetterReason, type Outcome } from './consuming/outcome';
export { classifyError, defaultClassifier, type ErrorClassifier, type ErrorKind } from './errors/classify-error';
export { RedeliveryLimitError } from './errors/redelivery-limit-error';

// The publish pipeline
export { MessagePublisher, type PublishReceipt } from './publishing/message-publisher';
export { OUTBOX_WRITER, type OutboxWriter } from './publishing/outbox-writer';
export { PUBLISH_STEPS, PublishPipeline, type PublishPipelineRun } from './publishing/publish-pipeline';
export { PublishStep, type NextPublishStep, type PublishStepName, type PublishStepPlacement } from './publishing/publish-step';
export { Publication, type PublishDestination } from './publishing/publication';
export type { OutgoingMessage, PublishOptions } from './publishing/outgoing-message';

// Scheduled messages
export { SchedulingModule } from './scheduling/scheduling.module';
export { MessageScheduler, type ScheduledMessage, type ScheduleOptions } from './scheduling/message-scheduler';
export { ScheduledMessageRelay, type ScheduledOutcome } from './scheduling/scheduled-message-relay';
export {
  CANCELLATION_PRUNE_EVERY_MS,
  DROPPED_CANCELLATION_RETENTION_MS,
  MemoryScheduleCancellations,
  ScheduleCancellations,
  type ScheduleCancellationStore,
} from './scheduling/schedule-cancellations';
export { InvalidScheduleError, UnknownMessageTypeError } from './scheduling/schedule-errors';
export { dueAtOf, nextHopMs, PAST_GRACE_MS, type ScheduleWhen } from './scheduling/schedule-time';
export {
  LADDER_HEIGHT_MS,
  resolveSchedulingOptions,
  type ResolvedSchedulingOptions,
  type SchedulingOptions,
} from './scheduling/scheduling-options';
export { SCHEDULING_OPTIONS } from './scheduling/scheduling.constants';

// Sagas as operators read them (the persistence library provides the directory)
export {
  SAGA_DIRECTORY,
  type SagaDetails,
  type SagaDirectory,
  type SagaHistoryEntry,
  type SagaQuery,
  type SagaSummary,
} from './sagas/saga-directory';

// The Nest microservices transport (@EventPattern, @MessagePattern) and its client (ClientProxy: emit, send)
export { MessagingTransportModule, MessagingClientsModule } from './transport/messaging-transport.module';
export { MessagingTransport, MESSAGING_TRANSPORT } from './transport/messaging-transport';
export { MessagingClient, type TransactionalEmitter } from './transport/messaging-client';
export { MessagingClientFactory, type MessagingClientOptions } from './transport/messaging-client-factory';
export { MessageCatalogue } from './transport/message-catalogue';
export { RequestFailedError, RequestTimeoutError } from './transport/request-errors';
export type { ReplyError } from './transport/reply-packet';
export { DEFAULT_REQUEST_TIMEOUT_MS, type MessagingTransportOptions } from './transport/transport-options';

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
  type DeadLetterSummaries,
  type DeadLetterSummary,
  type EditedCopy,
  type ReplayProgress,
  type ReplayResult,
  type ReplaySelector,
  type ReplaySkip,
} from './dead-letter/dead-letter-admin';
export { errorMessage } from './dead-letter/dead-letter-headers';
export { DeadLetterEditor, DeadLetterEditRefusedError, type HandlerContract } from './dead-letter/dead-letter-editor';
export { maskedForEditing, restoreMasked } from './dead-letter/edited-body';

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
  SagaInFlight,
} from './instrumentation/messaging-instrumentation';
