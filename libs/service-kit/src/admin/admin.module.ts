// AdminModule: the dead-letter admin API under /admin/dead-letters (list, show, replay, purge), behind a bearer
// token. Mounted only in an application that imports it.
import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigError } from '@app/messaging-core';
import { ADMIN_OPTIONS } from '../service-kit.constants';
import { AdminTokenGuard, type AdminOptions, type AdminScope } from './admin-token.guard';
import { DeadLetterAdminController } from './dead-letter-admin.controller';

const SCOPES: readonly AdminScope[] = ['service', 'vhost'];

/**
 * The token from the option, else ADMIN_TOKEN (an empty one counts as none: the API stays disabled), and the scope,
 * 'service' unless given. A wrong scope stops the start with a ConfigError naming it.
 */
export function resolveAdminOptions(
  options: AdminOptions,
  env: NodeJS.ProcessEnv = process.env,
): Required<Pick<AdminOptions, 'scope'>> & AdminOptions {
  const scope = options.scope ?? 'service';
  if (!SCOPES.includes(scope)) {
    throw new ConfigError(`Invalid admin option "scope": must be one of ${SCOPES.map((s) => `"${s}"`).join(', ')}, got "${String(scope)}"`);
  }
  return { token: (options.token ?? env.ADMIN_TOKEN) || undefined, scope };
}

@Module({})
export class AdminModule {
  static forRoot(options: AdminOptions = {}): DynamicModule {
    return {
      module: AdminModule,
      controllers: [DeadLetterAdminController],
      providers: [{ provide: ADMIN_OPTIONS, useValue: resolveAdminOptions(options) }, AdminTokenGuard],
    };
  }
}
