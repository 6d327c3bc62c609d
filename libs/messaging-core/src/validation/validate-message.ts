// Turns plain data into an instance of a message class and checks it, for both ends: publish and consume.
import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { MessageValidationError, PermanentError, TransientError, type ValidationIssue } from '../errors/message-errors';
import type { MessageClass } from '../message/message-class';
import { buildPlainly, passesFastValidation } from './compiled-validation';
import type { ValidateMessageOptions } from './validation-options';

export type { ValidateMessageOptions } from './validation-options';

/** Returns a validated instance of `type` built from `data`, or throws MessageValidationError with every issue. */
export async function validateMessage<T extends object>(type: MessageClass<T>, data: unknown, options: ValidateMessageOptions): Promise<T> {
  return checkMessage(type, data, options);
}

/**
 * validateMessage without a promise for a valid message (the usual case): the instance itself, or a promise when
 * class-validator has to run (an invalid message, async constraints). Throws or rejects with MessageValidationError.
 * A validator or transformer that throws on the data (class-validator's isEmail on an unpaired surrogate throws a
 * URIError) makes the data invalid too: never an error that could pass for a passing outage and be retried. The
 * library's own error classes (a constraint's TransientError, say) go through as they are.
 */
export function checkMessage<T extends object>(type: MessageClass<T>, data: unknown, options: ValidateMessageOptions): T | Promise<T> {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new MessageValidationError(type.messageType, [{ path: '(root)', reasons: ['must be a JSON object'] }]);
  }
  try {
    const instance =
      data instanceof type ? data : (buildPlainly(type, data as Record<string, unknown>, options) ?? plainToInstance(type, data));
    if (passesFastValidation(instance, options)) return instance;
    return validateWithClassValidator(type, instance, options).catch((error: unknown) => {
      throw asValidationError(type, error);
    });
  } catch (error) {
    throw asValidationError(type, error);
  }
}

function asValidationError(type: MessageClass, error: unknown): Error {
  if (error instanceof PermanentError || error instanceof TransientError) return error;
  let described: string;
  try {
    described = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    described = 'an error that could not be described';
  }
  const reason = `could not be validated: a validator or transformer failed on it (${described.slice(0, 200)})`;
  const validationError = new MessageValidationError(type.messageType, [{ path: '(message)', reasons: [reason] }]);
  validationError.cause = error;
  return validationError;
}

async function validateWithClassValidator<T extends object>(
  type: MessageClass<T>,
  instance: T,
  options: ValidateMessageOptions,
): Promise<T> {
  const errors = await validate(instance, {
    whitelist: true,
    forbidNonWhitelisted: options.unknownFields === 'reject',
    // Off: the value is always an instance of a message class here, and a class without fields must still pass.
    forbidUnknownValues: false,
    validationError: { target: false, value: false },
  });
  if (errors.length > 0) throw new MessageValidationError(type.messageType, flattenIssues(errors));
  return instance;
}

function flattenIssues(errors: ValidationError[], parent = ''): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const error of errors) {
    const path = parent ? `${parent}.${error.property}` : error.property;
    if (error.constraints) issues.push({ path, reasons: Object.values(error.constraints) });
    if (error.children?.length) issues.push(...flattenIssues(error.children, path));
  }
  return issues;
}
