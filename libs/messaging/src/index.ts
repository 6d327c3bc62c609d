// Public API of the messaging library. Anything not exported here is internal.
export { MessagingModule, type MessagingModuleAsyncOptions } from './messaging.module';
export {
  DEFAULT_AMQP_URL,
  resolveMessagingOptions,
  type BackoffOptions,
  type DelayMode,
  type JitterMode,
  type MessagingModuleOptions,
  type QueueType,
  type ResolvedMessagingOptions,
  type RetryOptions,
  type TlsOptions,
} from './options/messaging-options';
export { MESSAGING_OPTIONS, MESSAGE_CONTEXT_TYPE } from './messaging.constants';
export { AmqpConnection } from './connection/amqp-connection';
export { MessagePublisher, type PublishReceipt } from './publishing/message-publisher';
export type { OutgoingMessage, PublishOptions } from './publishing/outgoing-message';
export { MessageHandler, type MessageHandlerOptions } from './consuming/message-handler.decorator';
export { MessageHandlerRegistry } from './consuming/message-handler-registry';
export { MessageContext } from './consuming/message-context';
export { Retryable, type RetryableOptions } from './retry/retryable.decorator';
export { Fault, faultOf } from './dead-letter/fault';
export type { MessageClass, MessageData } from './message/message-class';
export { validateMessage } from './validation/validate-message';
export { classTransformerMetadata } from './validation/class-transformer-metadata';
export {
  MessageDecodeError,
  MessageValidationError,
  MessagingConfigError,
  PermanentError,
  PublishError,
  TransientError,
  type ValidationIssue,
} from './errors/message-errors';
export { classifyError, defaultClassifier, type ErrorClassifier, type ErrorKind } from './errors/classify-error';
export {
  CorrelationIdMiddleware,
  CORRELATION_HTTP_HEADER,
} from './correlation/correlation-id.middleware';
export { currentCorrelation, runWithCorrelation, type CorrelationContext } from './correlation/correlation-context';
export { TopologyNames, MessageHeaders, DELAY_LEVELS } from './topology/topology-names';
export { Idempotent, type IdempotentOptions, type IdempotencyStoreKind } from './inbox/idempotent.decorator';
export { Outbox, type OutboxAddOptions } from './outbox/outbox';
export { OutboxRelay } from './outbox/outbox-relay';
export { DatabaseModule, DATABASE, type DatabaseModuleOptions } from './persistence/database.module';
export { openDatabase, type Database, type DatabaseHandle, type Transaction } from './persistence/database';
export { outbox as outboxTable, inbox as inboxTable } from './persistence/messaging-tables';
export {
  DeadLetterAdmin,
  DeadLetterNotFoundError,
  DeadLetterQueueNotFoundError,
  DEFAULT_BROWSE_LIMIT,
  InvalidReplaySelectorError,
  NotADeadLetterQueueError,
  ReplayHeaders,
  type DeadLetterDetails,
  type DeadLetterGroup,
  type DeadLetterListing,
  type ReplayProgress,
  type ReplayResult,
  type ReplaySelector,
  type ReplaySkip,
} from './dead-letter/dead-letter-admin';
export { DeadLetterAdminController } from './dead-letter/dead-letter-admin.controller';
export { AdminTokenGuard } from './dead-letter/admin-token.guard';
export { redactUrl } from './options/messaging-options';
export { HealthModule } from './health/health.module';
export { MessagingHealth } from './health/messaging-health';
export { projectRoot } from './persistence/database';
export { enableGracefulShutdown, type GracefulShutdownOptions } from './lifecycle/graceful-shutdown';
export { LoggingModule, loggerParams, type LoggingOptions } from './telemetry/logging.module';
export { startTracing, type TracingOptions } from './telemetry/tracing';
export { MessagingMetrics } from './telemetry/messaging-metrics';
export { Sensitive, maskSensitive, maskEmails } from './telemetry/sensitive';
export { injectTraceContext, extractTraceContext } from './telemetry/message-tracing';
