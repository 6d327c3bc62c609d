// What an idempotency store does: run a handler's work at most once per consumer and key.
import type { Transaction } from '../persistence/database';

export interface IdempotencyClaim {
  /** The consuming queue: two handlers of one message type each get their own marks. */
  consumer: string;
  key: string;
  messageId: string;
  ttlMs: number;
}

export type IdempotencyResult = 'processed' | 'duplicate';

export interface IdempotencyStore {
  /** Runs `work` unless the claim was already processed; a failed `work` leaves no mark, so a retry runs it again. */
  runOnce(claim: IdempotencyClaim, work: (transaction?: Transaction) => Promise<void>): Promise<IdempotencyResult>;
}
