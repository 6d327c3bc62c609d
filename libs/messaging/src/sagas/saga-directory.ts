// What operators may read of a service's sagas, as the admin API asks for it. The persistence library's saga store
// provides it (SAGA_DIRECTORY); the service kit's admin API reads it, knowing nothing of the database.

export const SAGA_DIRECTORY = Symbol('SAGA_DIRECTORY');

export interface SagaHistoryEntry {
  /** ISO 8601. */
  at: string;
  /** The state before (none for the start) and after. */
  from?: string;
  to: string;
  /** The message that moved it; none for a start from service code. */
  messageType?: string;
  messageId?: string;
  note?: string;
}

export interface SagaSummary {
  type: string;
  key: string;
  state: string;
  /** Moves so far. */
  version: number;
  waitingFor?: string;
  startedAt: string;
  updatedAt: string;
  /** Set once it has completed. */
  completedAt?: string;
}

export interface SagaDetails extends SagaSummary {
  data: Record<string, unknown>;
  /** Schedules it made that have not come back (its pending timeouts). */
  pendingSchedules: number;
  history: SagaHistoryEntry[];
}

export interface SagaQuery {
  type?: string;
  state?: string;
  /** false (default): only those in flight; true: only completed ones; undefined with `all`: both. */
  completed?: boolean;
  all?: boolean;
  /** At most this many, oldest first. Default 50, at most 500. */
  limit?: number;
}

export interface SagaDirectory {
  list(query: SagaQuery): Promise<{ total: number; sagas: SagaSummary[] }>;
  get(type: string, key: string): Promise<SagaDetails | undefined>;
}
