// Public API of the persistence library: the service's database (PostgreSQL or the embedded PGlite), the inbox
// (idempotency stores in the database and in Redis) and the transactional outbox with its relay.
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
export { outbox as outboxTable, inbox as inboxTable } from './database/messaging-tables';
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
