// DatabaseModule: the service's database (PostgreSQL, or the embedded PGlite), opened and migrated at start, with
// what lives in it for messaging: the inbox (the "database" idempotency store), the outbox and its relay, and a
// readiness check. Where it lives is checked before anything opens (database-location.ts). Closed last at shutdown.
//
// A PostgreSQL database that cannot be reached at start does not stop the service: it starts (HTTP up, not ready),
// and its database monitor tries to connect and migrate with backoff until it can; consumers and the outbox relay
// wait for it. A server that refuses the service's settings (a wrong password, a missing database) stops the start
// with one line, as any configuration error does. The embedded PGlite is local: it opens, or the start fails.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Logger, Module, Optional, type DynamicModule, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import {
  Dependencies,
  DependencyMonitor,
  IdempotencyStores,
  MESSAGING_OPTIONS,
  MessagingConfigError,
  OUTBOX_WRITER,
  ScheduleCancellations,
  type ResolvedMessagingOptions,
} from '@app/messaging';
import { DatabaseScheduleCancellations } from '../scheduling/database-schedule-cancellations';
import { DatabaseIdempotencyStore } from '../inbox/database-idempotency-store';
import { Outbox } from '../outbox/outbox';
import { OutboxRelay } from '../outbox/outbox-relay';
import { resolveOutboxOptions, type OutboxOptions } from '../outbox/outbox-options';
import { DATABASE, DATABASE_AVAILABILITY, OUTBOX_OPTIONS } from '../persistence.constants';
import { resolveDatabaseLocation } from './database-location';
import { DatabaseReadiness } from './database-readiness';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  IN_MEMORY_DATA_DIR,
  MESSAGING_MIGRATIONS_FOLDER,
  openDatabase,
  projectRoot,
  type DatabaseHandle,
} from './database';
import { DATABASE_DEPENDENCY, databaseConfigError, isDatabaseUnavailable } from './postgres-errors';

export interface DatabaseModuleOptions {
  /** Names the embedded database's folder (`.data/<service>`). Default: MessagingModule's serviceName. */
  serviceName?: string;
  /** postgres:// or postgresql:// URL. Default DATABASE_URL; without either, the embedded PGlite database is used. */
  url?: string;
  /** Folder of the embedded database. Default DATA_DIR, else `.data/<serviceName>`. */
  dataDir?: string;
  /** The service's own migrations (drizzle-kit folder), applied after the library's. Default `apps/<serviceName>/migrations` when it exists. */
  migrationsFolder?: string;
  /** Apply migrations at start. Default true; false when a separate step runs them. */
  migrate?: boolean;
  /** Connections in the PostgreSQL pool. Default 10. */
  poolSize?: number;
  /**
   * How long getting a PostgreSQL connection may take: a new one (an unreachable host), or a free one of a busy pool.
   * Past it the query fails as the database being unavailable (HTTP 503). Default 5000 ms.
   */
  connectTimeoutMs?: number;
  /**
   * PostgreSQL's statement_timeout for the service's sessions (migrations excepted). Default: none set, so that the
   * server's, database's or role's own setting applies.
   */
  statementTimeoutMs?: number;
  /**
   * While PostgreSQL cannot be reached (at start, or after it went away), attempts to reach it (and at start to
   * migrate) wait this long between them: the first wait and the cap, doubling in between. Default 250 .. 2000 ms.
   */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** The outbox relay. */
  outbox?: OutboxOptions;
  /**
   * An embedded database in memory, gone when the process ends, whatever DATABASE_URL and DATA_DIR say: for tests
   * that need no database server (the harness of @app/testing). Default false.
   */
  inMemory?: boolean;
}

/** The handle and its monitor, made together: the pool reports lost connections to the monitor. */
interface DatabaseRuntime {
  handle: DatabaseHandle;
  monitor: DependencyMonitor;
}

const DATABASE_RUNTIME = Symbol('DATABASE_RUNTIME');

@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseModuleOptions = {}): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      providers: [
        {
          provide: DATABASE_RUNTIME,
          useFactory: (messaging?: ResolvedMessagingOptions) => openAndWatch(options, messaging?.serviceName),
          inject: [{ token: MESSAGING_OPTIONS, optional: true }],
        },
        { provide: DATABASE, useFactory: (runtime: DatabaseRuntime) => runtime.handle, inject: [DATABASE_RUNTIME] },
        { provide: DATABASE_AVAILABILITY, useFactory: (runtime: DatabaseRuntime) => runtime.monitor, inject: [DATABASE_RUNTIME] },
        { provide: OUTBOX_OPTIONS, useFactory: () => resolveOutboxOptions(options.outbox ?? {}) },
        Outbox,
        // The outbox for code that knows only the messaging library (the transport client's inTransaction().emit()).
        { provide: OUTBOX_WRITER, useExisting: Outbox },
        OutboxRelay,
        DatabaseReadiness,
        DatabaseLifecycle,
      ],
      exports: [DATABASE, DATABASE_AVAILABILITY, Outbox, OUTBOX_WRITER, OutboxRelay],
    };
  }
}

export async function migrateAll(handle: DatabaseHandle, serviceMigrations?: string): Promise<void> {
  await handle.migrate(MESSAGING_MIGRATIONS_FOLDER, '__messaging_migrations');
  if (serviceMigrations) await handle.migrate(serviceMigrations, '__service_migrations');
}

/**
 * Opens the database and makes one attempt to connect and migrate. Resolves either way for PostgreSQL (its monitor
 * keeps trying in the background) but for a configuration error or a failed migration, which it throws.
 */
async function openAndWatch(options: DatabaseModuleOptions, fallbackServiceName?: string): Promise<DatabaseRuntime> {
  const location = options.inMemory
    ? { url: undefined, urlSource: undefined, dataDir: IN_MEMORY_DATA_DIR, serviceName: options.serviceName ?? fallbackServiceName }
    : resolveDatabaseLocation(options, fallbackServiceName);
  const connectTimeoutMs = checkedInteger('connectTimeoutMs', options.connectTimeoutMs, 0) ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const statementTimeoutMs = checkedInteger('statementTimeoutMs', options.statementTimeoutMs, 0);
  const reconnect = {
    initialDelayMs: checkedInteger('reconnect.initialDelayMs', options.reconnect?.initialDelayMs, 1),
    maxDelayMs: checkedInteger('reconnect.maxDelayMs', options.reconnect?.maxDelayMs, 1),
  };
  const logger = new Logger('Database');
  // The pool reports to the monitor, which needs the handle: made just after it.
  const watching: { monitor?: DependencyMonitor } = {};
  const handle = await openDatabase({
    url: location.url,
    dataDir: location.dataDir,
    poolSize: options.poolSize,
    connectTimeoutMs,
    statementTimeoutMs,
    onConnectionFailure: (error) => watching.monitor?.reportFailure(error),
  });
  const serviceMigrations = options.migrationsFolder ?? defaultMigrations(location.serviceName);
  let migrated = !(options.migrate ?? true);
  if (handle.kind === 'pglite' && !migrated) {
    await migrateAll(handle, serviceMigrations);
    migrated = true;
  }
  const url = location.url;
  const monitor = new DependencyMonitor({
    name: DATABASE_DEPENDENCY,
    probe: async () => {
      if (!migrated) {
        await migrateAll(handle, serviceMigrations);
        migrated = true;
      }
      await handle.ping();
    },
    // Waiting cannot fix a refusal of our settings, nor a migration that fails for a reason of its own.
    fatalError: (error) =>
      url === undefined
        ? undefined
        : (databaseConfigError(error, url, location.urlSource ?? 'env') ??
          (isDatabaseUnavailable(error) ? undefined : error instanceof Error ? error : new Error(String(error)))),
    retry: reconnect,
  });
  watching.monitor = monitor;
  try {
    const up = await monitor.start();
    if (up) logger.log({ event: 'database.opened', kind: handle.kind, location: handle.location });
    else logger.warn({ event: 'database.waiting', kind: handle.kind, location: handle.location, reason: monitor.status.reason });
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
  return { handle, monitor };
}

function checkedInteger(key: string, value: number | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < min) {
    throw new MessagingConfigError(`DatabaseModule ${key}`, `must be an integer of at least ${min}, got ${String(value)}`);
  }
  return value;
}

function defaultMigrations(serviceName: string | undefined): string | undefined {
  if (!serviceName) return undefined;
  const folder = join(projectRoot(), 'apps', serviceName, 'migrations');
  return existsSync(folder) ? folder : undefined;
}

class DatabaseLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(DATABASE) private readonly handle: DatabaseHandle,
    @Inject(DATABASE_AVAILABILITY) private readonly monitor: DependencyMonitor,
    @Optional() private readonly stores?: IdempotencyStores,
    @Optional() private readonly dependencies?: Dependencies,
    @Optional() private readonly cancellations?: ScheduleCancellations,
  ) {}

  /**
   * `@Idempotent()` (the database store) keeps its marks in this database, in the handler's transaction. Every
   * handler's consumer pauses while the database is down, unless the handler lists its own `dependsOn`.
   */
  onModuleInit(): void {
    this.stores?.register('database', DatabaseIdempotencyStore.forDatabase(this.handle));
    // Cancelled schedules (SchedulingModule) are kept here too: durable, and in the canceller's transaction.
    this.cancellations?.register(new DatabaseScheduleCancellations(this.handle.db));
    this.dependencies?.add(this.monitor, { everyHandler: true });
  }

  // After the messaging library has drained its handlers and the outbox relay its batch (both earlier hooks).
  async onApplicationShutdown(): Promise<void> {
    this.monitor.stop();
    await this.handle.close();
  }
}
