// Named error classes of the library. Classification (see classify-error.ts) looks at the class, never at the text.

/** A failure that will not go away by trying again (a 4xx-like error): dead-lettered at once. */
export class PermanentError extends Error {
  override readonly name: string = 'PermanentError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A failure that may pass if tried later (timeouts, 5xx-like errors, lost connections): retried. */
export class TransientError extends Error {
  override readonly name: string = 'TransientError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** One failed constraint of a message, as a path into the message and the reasons it failed. */
export interface ValidationIssue {
  path: string;
  reasons: string[];
}

/** The message does not satisfy its class's constraints. Never retried. */
export class MessageValidationError extends PermanentError {
  override readonly name: string = 'MessageValidationError';
  constructor(
    readonly messageType: string,
    readonly issues: ValidationIssue[],
  ) {
    super(`${messageType} is invalid: ` + issues.map((issue) => `${issue.path}: ${issue.reasons.join(', ')}`).join('; '));
  }
}

/** The delivery could not be read as a message at all (content type, size, JSON, unknown type). */
export class MessageDecodeError extends PermanentError {
  override readonly name: string = 'MessageDecodeError';
}

/** A publish that the broker did not confirm (nack, timeout, or the connection closed before it could go out). */
export class PublishError extends TransientError {
  override readonly name: string = 'PublishError';
}
