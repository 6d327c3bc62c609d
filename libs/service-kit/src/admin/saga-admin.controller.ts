// The operators' read API of sagas under /admin/sagas, behind the admin token: the instances (in flight by default)
// and one instance with its data and history. Answers 404 in a service without a saga store (SagasModule).
import { BadRequestException, Controller, Get, Inject, NotFoundException, Optional, Param, Query, UseGuards } from '@nestjs/common';
import { SAGA_DIRECTORY, type SagaDetails, type SagaDirectory, type SagaQuery, type SagaSummary } from '@app/messaging';
import { AdminTokenGuard } from './admin-token.guard';

const COMPLETED_VALUES: Record<string, SagaQuery> = {
  false: { completed: false },
  true: { completed: true },
  any: { all: true },
};

@Controller('admin/sagas')
@UseGuards(AdminTokenGuard)
export class SagaAdminController {
  constructor(@Optional() @Inject(SAGA_DIRECTORY) private readonly directory?: SagaDirectory) {}

  /** `?type=&state=&completed=false|true|any&limit=` (default: in flight, oldest first, 50; at most 500). */
  @Get()
  list(
    @Query('type') type?: string,
    @Query('state') state?: string,
    @Query('completed') completed = 'false',
    @Query('limit') limit?: string,
  ): Promise<{ total: number; sagas: SagaSummary[] }> {
    const which = COMPLETED_VALUES[completed];
    if (!which) throw new BadRequestException('completed must be false, true or any');
    const count = limit === undefined ? undefined : Number(limit);
    if (count !== undefined && (!Number.isInteger(count) || count < 1 || count > 500)) {
      throw new BadRequestException('limit must be an integer from 1 to 500');
    }
    return this.require().list({ ...which, type: type || undefined, state: state || undefined, limit: count });
  }

  @Get(':type/:key')
  async get(@Param('type') type: string, @Param('key') key: string): Promise<SagaDetails> {
    const saga = await this.require().get(type, key);
    if (!saga) throw new NotFoundException(`No ${type} saga with key "${key}"`);
    return saga;
  }

  private require(): SagaDirectory {
    if (!this.directory) throw new NotFoundException('This service keeps no sagas (SagasModule.forRoot() is not imported)');
    return this.directory;
  }
}
