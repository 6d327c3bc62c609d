// Carries the correlation of the work in progress (an HTTP request or a message being handled) through async calls.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

export interface CorrelationContext {
  /** Ties together everything one business request caused, across services. */
  correlationId: string;
  /** Id of the message whose handling is in progress; becomes x-causation-id of what it publishes. */
  causationId?: string;
}

const storage = new AsyncLocalStorage<CorrelationContext>();

/** Runs `fn` with `context` as the current correlation, for all its async continuations. */
export function runWithCorrelation<T>(context: CorrelationContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The correlation of the work in progress, if any. */
export function currentCorrelation(): CorrelationContext | undefined {
  return storage.getStore();
}

export function newCorrelationId(): string {
  return randomUUID();
}

const ACCEPTED_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** An id from outside is kept only if it is short and plain, so that it cannot smuggle text into logs or headers. */
export function acceptCorrelationId(candidate: unknown): string | undefined {
  return typeof candidate === 'string' && ACCEPTED_ID.test(candidate) ? candidate : undefined;
}
