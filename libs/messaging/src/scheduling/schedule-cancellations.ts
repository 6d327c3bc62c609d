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
}

/** Per process: enough for tests and a single instance that never restarts. */
export class MemoryScheduleCancellations implements ScheduleCancellationStore {
  private readonly tokens = new Set<string>();

  cancel(token: string): Promise<void> {
    this.tokens.add(token);
    return Promise.resolve();
  }

  isCancelled(token: string): Promise<boolean> {
    return Promise.resolve(this.tokens.has(token));
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
