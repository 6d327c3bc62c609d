// Idempotency marks in this process's memory: for tests and single-instance tools, lost on restart.
import { TransientError } from '@app/messaging-core';
import type { IdempotencyClaim, IdempotencyResult, IdempotencyStore } from './idempotency-store';

export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly marks = new Map<string, { done: boolean; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async runOnce(claim: IdempotencyClaim, work: () => Promise<void>): Promise<IdempotencyResult> {
    const key = `${claim.consumer}:${claim.key}`;
    const mark = this.marks.get(key);
    if (mark && mark.expiresAt > this.now()) {
      if (mark.done) return 'duplicate';
      throw new TransientError(`Message key ${claim.key} is being handled`);
    }
    this.marks.set(key, { done: false, expiresAt: Number.POSITIVE_INFINITY });
    try {
      await work();
    } catch (error) {
      this.marks.delete(key);
      throw error;
    }
    this.marks.set(key, { done: true, expiresAt: this.now() + claim.ttlMs });
    this.evictExpired();
    return 'processed';
  }

  private evictExpired(): void {
    if (this.marks.size < 10_000) return;
    const now = this.now();
    for (const [key, mark] of this.marks) if (mark.done && mark.expiresAt <= now) this.marks.delete(key);
  }
}
