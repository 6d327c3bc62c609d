// AdminModule: the dead-letter admin API under /admin/dead-letters (list, show, replay, purge), behind a bearer
// token. Mounted only in an application that imports it.
import { Module, type DynamicModule } from '@nestjs/common';
import { ADMIN_OPTIONS } from '../service-kit.constants';
import { AdminTokenGuard, type AdminOptions } from './admin-token.guard';
import { DeadLetterAdminController } from './dead-letter-admin.controller';

/** The token from the option, else ADMIN_TOKEN; an empty one counts as none (the API stays disabled). */
export function resolveAdminOptions(options: AdminOptions, env: NodeJS.ProcessEnv = process.env): AdminOptions {
  return { token: (options.token ?? env.ADMIN_TOKEN) || undefined };
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
