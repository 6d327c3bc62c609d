// Where cancelled schedules are remembered: a scheduled message whose token is here is dropped when it comes due.
// The built-in store is per process; the persistence library registers its database one (durable, and written in a
// transaction when given one), which DatabaseModule does by itself.
import { Injectable } from '@nestjs/common';

export interface ScheduleCancellationStore {
  /** The dependency its records live in ("database"), if any. */
  readonly dependency?: string;
  /** Records the cancellation, in `transaction` when the store keeps its records in that transaction's database. */
  cancel(token: string, transaction?: unknown): Promise<void>;
  isCancelled(token: string): Promise<boolean>;
  /**
   * The message `token` cancels came due and was dropped: the record is needed only for that message's redeliveries
   * now, and the store may forget it a while later (a day), so that it does not keep every cancellation ever made.
   */
  dropped?(token: string): Promise<void>;
}

/** How long a store keeps a cancellation once its message was dropped: its redeliveries come well within that. */
export const DROPPED_CANCELLATION_RETENTION_MS = 24 * 3600 * 1000;
/** Forgetting the expired cancellations is piggybacked on a drop, at most this often. */
export const CANCELLATION_PRUNE_EVERY_MS = 60_000;

/** Per process: enough for tests and a single instance that never restarts. */
export class MemoryScheduleCancellations implements ScheduleCancellationStore {
  /** Token -> when its message was dropped (undefined: not yet). */
  private readonly tokens = new Map<string, number | undefined>();
  private lastPrune = 0;

  constructor(private readonly now: () => number = Date.now) {}

  cancel(token: string): Promise<void> {
    if (!this.tokens.has(token)) this.tokens.set(token, undefined);
    return Promise.resolve();
  }

  isCancelled(token: string): Promise<boolean> {
    return Promise.resolve(this.tokens.has(token));
  }

  dropped(token: string): Promise<void> {
    const now = this.now();
    if (this.tokens.has(token)) this.tokens.set(token, this.tokens.get(token) ?? now);
    if (now - this.lastPrune < CANCELLATION_PRUNE_EVERY_MS) return Promise.resolve();
    this.lastPrune = now;
    for (const [other, droppedAt] of this.tokens) {
      if (droppedAt !== undefined && now - droppedAt > DROPPED_CANCELLATION_RETENTION_MS) this.tokens.delete(other);
    }
    return Promise.resolve();
  }
}

/** The store in use: the memory one unless another was registered (DatabaseModule registers its own). */
@Injectable()
export class ScheduleCancellations {
  private store: ScheduleCancellationStore = new MemoryScheduleCancellations();

  register(store: ScheduleCancellationStore): void {
    this.store = store;
  }

  get current(): ScheduleCancellationStore {
    return this.store;
  }
}
