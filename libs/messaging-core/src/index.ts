// Public API of the light messaging library: what describes a message, with nothing that does I/O. Message
// contracts depend on this alone, so any producer (Nest or not) can share them.
export { assertMessageClass, type MessageClass, type MessageData } from './message/message-class';
export {
  MessageDecodeError,
  MessageValidationError,
  MessagingConfigError,
  PermanentError,
  PublishError,
  TransientError,
  type ValidationIssue,
} from './errors/message-errors';
export { checkMessage, validateMessage, type ValidateMessageOptions } from './validation/validate-message';
export { classTransformerMetadata } from './validation/class-transformer-metadata';
export { isSensitiveField, maskEmails, maskSensitive, Sensitive, type MaskOptions } from './masking/sensitive';
