// Options of the outbox relay: the typed interface, its defaults in one place, and their checks at start.
import { MessagingConfigError } from '@app/messaging';

export interface OutboxOptions {
  /** Run the relay in this process. Default true; false where a separate process relays. */
  relay?: boolean;
  /** Rows per batch. Default 200. */
  batchSize?: number;
  /**
   * Batches in progress at once in this process (each in its own transaction): one publishes while another works
   * in the database. Default 2; PGlite always uses 1. Order is kept per aggregate key, not across keys.
   */
  concurrency?: number;
  /** Idle poll. Default 100 ms. */
  pollIntervalMs?: number;
  /** How long sent rows are kept. Default 24 h. */
  retentionMs?: number;
}

export type ResolvedOutboxOptions = Required<OutboxOptions>;

export function resolveOutboxOptions(options: OutboxOptions): ResolvedOutboxOptions {
  const resolved: ResolvedOutboxOptions = {
    relay: options.relay ?? true,
    batchSize: options.batchSize ?? 200,
    concurrency: options.concurrency ?? 2,
    pollIntervalMs: options.pollIntervalMs ?? 100,
    retentionMs: options.retentionMs ?? 24 * 3600 * 1000,
  };
  integerIn('outbox.batchSize', resolved.batchSize, 1, 10_000);
  integerIn('outbox.concurrency', resolved.concurrency, 1, 16);
  integerIn('outbox.pollIntervalMs', resolved.pollIntervalMs, 1);
  integerIn('outbox.retentionMs', resolved.retentionMs, 0);
  return resolved;
}

function integerIn(key: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new MessagingConfigError(key, `must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
}
