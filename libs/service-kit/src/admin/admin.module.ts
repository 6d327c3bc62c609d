// AdminModule: the dead-letter admin API under /admin/dead-letters (list, show, replay, purge), the sagas' read API
// under /admin/sagas, and the operator console at /admin (its page, and its JSON API under /admin/api), all behind the
// admin token. Mounted only in an application that imports it.
import { Module, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { ConfigError } from '@app/messaging-core';
import { ADMIN_OPTIONS } from '../service-kit.constants';
import { AdminTokenGuard, type AdminOptions, type AdminScope } from './admin-token.guard';
import { ConsoleApiController } from './console/console-api.controller';
import { ConsoleDeadLetters } from './console/console-dead-letters';
import { ConsoleHeadersMiddleware } from './console/console-headers.middleware';
import { ConsoleOverviewService } from './console/console-overview';
import { ConsoleController } from './console/console.controller';
import { DeadLetterAdminController } from './dead-letter-admin.controller';
import { SagaAdminController } from './saga-admin.controller';

const SCOPES: readonly AdminScope[] = ['service', 'vhost'];

/**
 * The token from the option, else ADMIN_TOKEN (an empty one counts as none: the API stays disabled), the scope,
 * 'service' unless given, and the console, on unless false. A wrong scope stops the start with a ConfigError naming it.
 */
export function resolveAdminOptions(
  options: AdminOptions,
  env: NodeJS.ProcessEnv = process.env,
): Required<Pick<AdminOptions, 'scope' | 'console'>> & AdminOptions {
  const scope = options.scope ?? 'service';
  if (!SCOPES.includes(scope)) {
    throw new ConfigError(`Invalid admin option "scope": must be one of ${SCOPES.map((s) => `"${s}"`).join(', ')}, got "${String(scope)}"`);
  }
  if (options.console !== undefined && typeof options.console !== 'boolean') {
    throw new ConfigError(`Invalid admin option "console": must be true or false, got ${JSON.stringify(options.console)}`);
  }
  return { token: (options.token ?? env.ADMIN_TOKEN) || undefined, scope, console: options.console ?? true };
}

const CONSOLE_CONTROLLERS = [ConsoleController, ConsoleApiController];

@Module({})
export class AdminModule implements NestModule {
  static forRoot(options: AdminOptions = {}): DynamicModule {
    const resolved = resolveAdminOptions(options);
    return {
      module: AdminModule,
      controllers: [DeadLetterAdminController, SagaAdminController, ...(resolved.console ? CONSOLE_CONTROLLERS : [])],
      providers: [
        { provide: ADMIN_OPTIONS, useValue: resolved },
        AdminTokenGuard,
        ...(resolved.console ? [ConsoleOverviewService, ConsoleDeadLetters] : []),
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    // The routes of both APIs and the page; with the console off its paths answer 404, with these headers too.
    consumer.apply(ConsoleHeadersMiddleware).forRoutes(DeadLetterAdminController, SagaAdminController, ...CONSOLE_CONTROLLERS);
  }
}
