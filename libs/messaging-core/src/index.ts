// Public API of the light messaging library: what describes a message, and the configuration errors and environment
// readers every library shares, with nothing that does I/O. Message contracts depend on this alone, so any producer
// (Nest or not) can share them.
export { assertMessageClass, type MessageClass, type MessageData } from './message/message-class';
export {
  MessageDecodeError,
  MessageValidationError,
  PermanentError,
  PublishError,
  TransientError,
  type ValidationIssue,
} from './errors/message-errors';
export { ConfigError, EnvConfigError, MessagingConfigError } from './errors/config-errors';
export { DependencyUnavailableError, dependencyOutageOf } from './errors/dependency-unavailable-error';
export {
  envInteger,
  envMatching,
  envOneOf,
  envPort,
  envString,
  envUrl,
  envUrlList,
  PORT_RANGE,
  splitUrlList,
  urlListProblem,
  urlProblem,
  type Env,
  type IntegerRange,
  type UrlForm,
} from './config/env';
export { redactUrl, redactUrlList } from './config/redact-url';
export { checkMessage, validateMessage, type ValidateMessageOptions } from './validation/validate-message';
export { classTransformerMetadata } from './validation/class-transformer-metadata';
export {
  checkInputLimits,
  checkInputSize,
  DEFAULT_INPUT_LIMITS,
  InputLimitError,
  isWellFormedText,
  RESERVED_KEYS,
  resolveInputLimits,
  type InputLimits,
  type InputRule,
} from './limits/input-limits';
export { isSensitiveField, maskEmails, maskSensitive, Sensitive, type MaskOptions } from './masking/sensitive';
