// Options of MessagingTransportModule (the Nest microservices transport and its clients): typed, defaults in one place.
import { MessagingConfigError, type MessageClass } from '@app/messaging-core';

export interface MessagingTransportOptions {
  /**
   * The message classes a pattern may name by their type: `@EventPattern('order.created')`, `client.emit('order.created',
   * data)`. A pattern that is the class itself needs no entry. The contracts' catalogue (`ALL_MESSAGE_CLASSES`) names
   * every message of the project. Default: none.
   */
  messages?: readonly MessageClass[];
  /** How long a client's send() waits for its reply, unless its own options say otherwise. Default 5000 ms. */
  requestTimeoutMs?: number;
}

export interface ResolvedTransportOptions {
  messages: readonly MessageClass[];
  requestTimeoutMs: number;
}

export const TRANSPORT_OPTIONS = Symbol('MESSAGING_TRANSPORT_OPTIONS');

export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;

export function resolveTransportOptions(options: MessagingTransportOptions): ResolvedTransportOptions {
  const resolved = {
    messages: options.messages ?? [],
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  };
  assertTimeout('requestTimeoutMs', resolved.requestTimeoutMs);
  if (!Array.isArray(resolved.messages)) throw new MessagingConfigError('messages', 'must be a list of message classes');
  return resolved;
}

/** A request timeout: a whole number of milliseconds from 1 to 24 hours (setTimeout's own bound is ~24.8 days). */
export function assertTimeout(key: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > 86_400_000) {
    throw new MessagingConfigError(key, `must be an integer from 1 to 86400000 (ms), got ${String(value)}`);
  }
}
