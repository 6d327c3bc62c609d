// DatabaseModule: the service's database (PostgreSQL, or the embedded PGlite), opened and migrated at start, with
// what lives in it for messaging: the inbox (the "database" idempotency store), the outbox and its relay, and a
// readiness check. Where it lives is checked before anything opens (database-location.ts). Closed last at shutdown.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Logger, Module, Optional, type DynamicModule, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { IdempotencyStores, MESSAGING_OPTIONS, type ResolvedMessagingOptions } from '@app/messaging';
import { DatabaseIdempotencyStore } from '../inbox/database-idempotency-store';
import { Outbox } from '../outbox/outbox';
import { OutboxRelay } from '../outbox/outbox-relay';
import { resolveOutboxOptions, type OutboxOptions } from '../outbox/outbox-options';
import { DATABASE, OUTBOX_OPTIONS } from '../persistence.constants';
import { resolveDatabaseLocation } from './database-location';
import { DatabaseReadiness } from './database-readiness';
import { MESSAGING_MIGRATIONS_FOLDER, openDatabase, projectRoot, type DatabaseHandle } from './database';

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
  /** The outbox relay. */
  outbox?: OutboxOptions;
}

@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseModuleOptions = {}): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      providers: [
        {
          provide: DATABASE,
          useFactory: async (messaging?: ResolvedMessagingOptions) => {
            const { url, dataDir, serviceName } = resolveDatabaseLocation(options, messaging?.serviceName);
            const handle = await openDatabase({ url, dataDir, poolSize: options.poolSize });
            if (options.migrate ?? true) await migrateAll(handle, options.migrationsFolder ?? defaultMigrations(serviceName));
            new Logger('Database').log({ event: 'database.opened', kind: handle.kind, location: handle.location });
            return handle;
          },
          inject: [{ token: MESSAGING_OPTIONS, optional: true }],
        },
        { provide: OUTBOX_OPTIONS, useFactory: () => resolveOutboxOptions(options.outbox ?? {}) },
        Outbox,
        OutboxRelay,
        DatabaseReadiness,
        DatabaseLifecycle,
      ],
      exports: [DATABASE, Outbox, OutboxRelay],
    };
  }
}

export async function migrateAll(handle: DatabaseHandle, serviceMigrations?: string): Promise<void> {
  await handle.migrate(MESSAGING_MIGRATIONS_FOLDER, '__messaging_migrations');
  if (serviceMigrations) await handle.migrate(serviceMigrations, '__service_migrations');
}

function defaultMigrations(serviceName: string | undefined): string | undefined {
  if (!serviceName) return undefined;
  const folder = join(projectRoot(), 'apps', serviceName, 'migrations');
  return existsSync(folder) ? folder : undefined;
}

class DatabaseLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(DATABASE) private readonly handle: DatabaseHandle,
    @Optional() private readonly stores?: IdempotencyStores,
  ) {}

  /** `@Idempotent()` (the database store) keeps its marks in this database, in the handler's transaction. */
  onModuleInit(): void {
    this.stores?.register('database', DatabaseIdempotencyStore.forDatabase(this.handle));
  }

  // After the messaging library has drained its handlers and the outbox relay its batch (both earlier hooks).
  async onApplicationShutdown(): Promise<void> {
    await this.handle.close();
  }
}
