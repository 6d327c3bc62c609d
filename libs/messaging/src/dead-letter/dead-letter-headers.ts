// The headers that explain a failure: written on retried messages (first failure) and on dead letters (all of them).
import type { ConsumeMessage } from 'amqplib';
import { maskEmails } from '@app/messaging-core';
import { BROKER_DEATH_HEADERS, MessageHeaders } from '../topology/topology-names';

const MAX_STACK_CHARS = 2000;
const MAX_MESSAGE_CHARS = 1000;

export interface FailureDescription {
  reason: string;
  error: unknown;
  attempt: number;
  queue: string;
  handler: string;
  now?: Date;
}

/** Headers for the copy of `raw` that goes to the dead-letter queue. Broker-added headers (x-death...) are dropped. */
export function deadLetterHeaders(raw: ConsumeMessage, failure: FailureDescription): Record<string, unknown> {
  const now = (failure.now ?? new Date()).toISOString();
  const headers = withoutBrokerHeaders(raw.properties.headers);
  return {
    ...headers,
    [MessageHeaders.attempts]: failure.attempt,
    [MessageHeaders.errorType]: failure.reason,
    [MessageHeaders.errorMessage]: errorMessage(failure.error),
    [MessageHeaders.errorStack]: errorStack(failure.error),
    [MessageHeaders.firstFailedAt]: headers[MessageHeaders.firstFailedAt] ?? now,
    [MessageHeaders.lastFailedAt]: now,
    [MessageHeaders.originalExchange]: headers[MessageHeaders.originalExchange] ?? originalExchange(raw),
    [MessageHeaders.originalRoutingKey]: headers[MessageHeaders.originalRoutingKey] ?? originalRoutingKey(raw),
    [MessageHeaders.originalQueue]: failure.queue,
    [MessageHeaders.handler]: failure.handler,
  };
}

/** Headers for a retry: the delivery count so far, when it first failed, and where it first came from. */
export function retryHeaders(raw: ConsumeMessage, attempt: number, now = new Date()): Record<string, unknown> {
  const headers = withoutBrokerHeaders(raw.properties.headers);
  return {
    ...headers,
    [MessageHeaders.attempts]: attempt,
    [MessageHeaders.firstFailedAt]: headers[MessageHeaders.firstFailedAt] ?? now.toISOString(),
    [MessageHeaders.originalExchange]: headers[MessageHeaders.originalExchange] ?? originalExchange(raw),
    [MessageHeaders.originalRoutingKey]: headers[MessageHeaders.originalRoutingKey] ?? originalRoutingKey(raw),
  };
}

/** Said of an error whose message or stack cannot be read (a throwing getter, a value without toString). */
export const UNDESCRIBABLE_ERROR = 'the error could not be described';

/**
 * The error's message, trimmed, with e-mail addresses masked (it travels in headers, fault events and logs). Never
 * throws: a failure must stay describable, or it could not be settled.
 */
export function errorMessage(error: unknown): string {
  const text = maskEmails(describe(() => (error instanceof Error ? error.message : String(error))));
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text;
}

function errorStack(error: unknown): string {
  const stack = maskEmails(describe(() => (error instanceof Error ? (error.stack ?? error.message) : String(error))));
  return stack.length > MAX_STACK_CHARS ? `${stack.slice(0, MAX_STACK_CHARS)}…` : stack;
}

function describe(read: () => unknown): string {
  try {
    const text = read();
    return typeof text === 'string' ? text : String(text);
  } catch {
    return UNDESCRIBABLE_ERROR;
  }
}

function withoutBrokerHeaders(headers: Record<string, unknown> | undefined): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...(headers ?? {}) };
  for (const header of BROKER_DEATH_HEADERS) delete copy[header];
  delete copy[MessageHeaders.delay];
  return copy;
}

// Only called on the first failure: later deliveries come through the delay exchanges and keep the header instead.
function originalExchange(raw: ConsumeMessage): string {
  return raw.fields.exchange;
}

function originalRoutingKey(raw: ConsumeMessage): string {
  return raw.fields.routingKey;
}
