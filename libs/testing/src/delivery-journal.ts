// What the in-memory transport saw of each delivery to a handler: its attempt and how it ended. The harness answers
// from here ("was it consumed?", "how many attempts?") and tells it all when an expectation is not met.
import type { BrokerMessage } from './memory-broker';

/** How a delivery ended, as the outcome step settled it. */
export type DeliveryOutcome = 'running' | 'acked' | 'duplicate' | 'retried' | 'deferred' | 'dead-lettered' | 'given-back';

/** One delivery of a message to a handler. */
export interface HandledDelivery<T = unknown> {
  /** The queue it came from (`<service>.<type>`). */
  queue: string;
  /** `Class.method` of the handler. */
  handler: string;
  messageType: string;
  messageId: string;
  correlationId: string;
  causationId?: string;
  /** 1 for the first delivery; retries count up. */
  attempt: number;
  /** The validated message the handler got (undefined when it did not get that far). */
  message: T | undefined;
  /** The body as JSON (undefined when it could not be read). */
  body: unknown;
  headers: Readonly<Record<string, unknown>>;
  outcome: DeliveryOutcome;
  /** A retry or a deferral: after how long it comes back. */
  retryDelayMs?: number;
  /** A dead letter: x-error-type and x-error-message. */
  errorType?: string;
  errorMessage?: string;
  /** Virtual time it arrived at (ms since the harness started). */
  receivedAt: number;
}

export class DeliveryJournal {
  readonly deliveries: HandledDelivery[] = [];

  add(delivery: HandledDelivery): HandledDelivery {
    this.deliveries.push(delivery);
    return delivery;
  }
}

/** One line per delivery and per waiting copy: what a failed expectation shows of what happened instead. */
export function describeSeen(
  deliveries: readonly HandledDelivery[],
  waiting: readonly { queue: string; dueAt: number; message: BrokerMessage }[],
  now: number,
): string {
  const lines = deliveries.map((d) => {
    const why =
      d.outcome === 'dead-lettered'
        ? ` (${d.errorType}: ${d.errorMessage})`
        : d.outcome === 'retried' || d.outcome === 'deferred'
          ? ` (again in ${d.retryDelayMs} ms)`
          : '';
    return `  ${d.messageType} ${d.messageId} to ${d.handler}, attempt ${d.attempt}: ${d.outcome}${why}`;
  });
  for (const copy of waiting) {
    lines.push(
      `  ${copy.message.properties.type ?? copy.message.routingKey} ${copy.message.properties.messageId ?? ''} waits for ${copy.queue} until ` +
        `${copy.dueAt} ms (now ${now} ms): advanceTime() to deliver it`,
    );
  }
  return lines.length > 0 ? lines.join('\n') : '  no delivery at all';
}
