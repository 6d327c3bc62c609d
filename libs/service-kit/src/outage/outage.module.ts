// OutageModule: HTTP requests that fail because a dependency is unavailable (the database, Redis...) are answered 503
// with Retry-After (DependencyOutageFilter, a global exception filter), not 500. Part of ServiceKitModule.
import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ConfigError } from '@app/messaging-core';
import { OUTAGE_OPTIONS } from '../service-kit.constants';
import { DependencyOutageFilter, type OutageOptions, type ResolvedOutageOptions } from './dependency-outage.filter';

/** The options with their defaults; a wrong value stops the start with a ConfigError naming it. */
export function resolveOutageOptions(options: OutageOptions): ResolvedOutageOptions {
  const retryAfterSeconds = options.retryAfterSeconds ?? 5;
  if (!Number.isInteger(retryAfterSeconds) || retryAfterSeconds < 0) {
    throw new ConfigError(`Invalid outage option "retryAfterSeconds": must be an integer of at least 0, got ${String(retryAfterSeconds)}`);
  }
  return { retryAfterSeconds };
}

@Module({})
export class OutageModule {
  static forRoot(options: OutageOptions = {}): DynamicModule {
    return {
      module: OutageModule,
      providers: [
        { provide: OUTAGE_OPTIONS, useValue: resolveOutageOptions(options) },
        { provide: APP_FILTER, useClass: DependencyOutageFilter },
      ],
    };
  }
}
