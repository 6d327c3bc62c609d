// Public API of the persistence library: the service's database (PostgreSQL or the embedded PGlite), the inbox
// (idempotency stores in the database and in Redis), the transactional outbox with its relay, cancelled schedules, and
// sagas (their state and history in the database).
import './database/transaction-context';

export { DatabaseModule, migrateAll, type DatabaseModuleOptions } from './database/database.module';
export {
  DATABASE_URL_FORM,
  databaseUrlFromEnv,
  resolveDatabaseLocation,
  type DatabaseLocation,
  type DatabaseLocationOptions,
} from './database/database-location';
export {
  openDatabase,
  projectRoot,
  rowsOf,
  type Database,
  type DatabaseHandle,
  type OpenDatabaseOptions,
  type Transaction,
} from './database/database';
export { DatabaseReadiness } from './database/database-readiness';
export {
  outbox as outboxTable,
  inbox as inboxTable,
  scheduleCancellations as scheduleCancellationsTable,
} from './database/messaging-tables';
export { DATABASE, DATABASE_AVAILABILITY, OUTBOX_OPTIONS } from './persistence.constants';
export { DATABASE_DEPENDENCY, isDatabaseUnavailable } from './database/postgres-errors';
export { DatabaseIdempotencyStore, type InboxBatching } from './inbox/database-idempotency-store';
export { REDIS_DEPENDENCY, RedisIdempotencyStore } from './inbox/redis-idempotency-store';
export {
  DEFAULT_REDIS_URL,
  REDIS_URL_FORM,
  RedisIdempotencyModule,
  resolveRedisUrl,
  type RedisIdempotencyOptions,
} from './inbox/redis-idempotency.module';
export { Outbox, type OutboxAddOptions } from './outbox/outbox';
export { OutboxRelay } from './outbox/outbox-relay';
export { resolveOutboxOptions, type OutboxOptions, type ResolvedOutboxOptions } from './outbox/outbox-options';
export { DatabaseScheduleCancellations } from './scheduling/database-schedule-cancellations';

// Sagas
export { SagasModule } from './sagas/sagas.module';
export { Sagas } from './sagas/sagas';
export { SagaStore } from './sagas/saga-store';
export { SagaExplorer } from './sagas/saga-explorer';
export { SagaInstance, NEW_SAGA_STATE, type SagaCause, type SagaRecord } from './sagas/saga-instance';
export {
  Handles,
  Saga,
  StartedBy,
  type MissingSagaPolicy,
  type SagaHandlesOptions,
  type SagaMessageOptions,
  type SagaOptions,
} from './sagas/saga.decorators';
export { SagaInstanceNotFoundError, SagaKeyError } from './sagas/saga-errors';
export { sagas as sagasTable, sagaHistory as sagaHistoryTable } from './sagas/saga-tables';
