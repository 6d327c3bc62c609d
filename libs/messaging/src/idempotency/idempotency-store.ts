// What an idempotency store does: run a handler's work at most once per consumer and key.

export interface IdempotencyClaim {
  /** The consuming queue: two handlers of one message type each get their own marks. */
  consumer: string;
  key: string;
  messageId: string;
  ttlMs: number;
}

export type IdempotencyResult = 'processed' | 'duplicate';

export interface IdempotencyStore {
  /**
   * The dependency its marks live in ("database", "redis"), if it has one: the consumers of its handlers pause while
   * that dependency is down (see Dependencies).
   */
  readonly dependency?: string;
  /**
   * Runs `work` unless the claim was already processed; a failed `work` leaves no mark, so a retry runs it again.
   * A store that keeps its marks in a database hands `work` the transaction they commit in.
   */
  runOnce(claim: IdempotencyClaim, work: (transaction?: unknown) => Promise<void>): Promise<IdempotencyResult>;
}
