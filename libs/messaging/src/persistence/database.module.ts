// DatabaseModule: opens the service's database at start, applies the library's and the service's migrations, closes it.
import { Inject, Logger, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { MESSAGING_MIGRATIONS_FOLDER, openDatabase, type DatabaseHandle } from './database';

export const DATABASE = Symbol('DATABASE');

export interface DatabaseModuleOptions {
  /** Names the embedded database's folder (`.data/<service>`). */
  serviceName: string;
  /** postgres:// URL. Default DATABASE_URL; without either, the embedded PGlite database is used. */
  url?: string;
  /** Folder of the embedded database. Default `.data/<serviceName>` (or DATA_DIR). */
  dataDir?: string;
  /** The service's own migrations (drizzle-kit folder), applied after the library's. */
  migrationsFolder?: string;
  /** Apply migrations at start. Default true; false when a separate step runs them. */
  migrate?: boolean;
  poolSize?: number;
}

@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseModuleOptions): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      providers: [
        {
          provide: DATABASE,
          useFactory: async () => {
            const handle = await openDatabase({
              url: options.url ?? (process.env.DATABASE_URL || undefined),
              dataDir: options.dataDir ?? process.env.DATA_DIR ?? `.data/${options.serviceName}`,
              poolSize: options.poolSize,
            });
            if (options.migrate ?? true) await migrateAll(handle, options.migrationsFolder);
            new Logger('Database').log({ event: 'database.opened', kind: handle.kind, location: handle.location });
            return handle;
          },
        },
        DatabaseCloser,
      ],
      exports: [DATABASE],
    };
  }
}

export async function migrateAll(handle: DatabaseHandle, serviceMigrations?: string): Promise<void> {
  await handle.migrate(MESSAGING_MIGRATIONS_FOLDER, '__messaging_migrations');
  if (serviceMigrations) await handle.migrate(serviceMigrations, '__service_migrations');
}

class DatabaseCloser implements OnApplicationShutdown {
  constructor(@Inject(DATABASE) private readonly handle: DatabaseHandle) {}

  // After the messaging library has drained its handlers and the outbox relay its batch (both earlier hooks).
  async onApplicationShutdown(): Promise<void> {
    await this.handle.close();
  }
}
