// HTTP face of DeadLetterAdmin under /admin/dead-letters, behind the admin token.
import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  ForbiddenException,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { ADMIN_OPTIONS } from '../service-kit.constants';
import { AdminTokenGuard, type AdminOptions } from './admin-token.guard';
import {
  DeadLetterAdmin,
  MESSAGING_OPTIONS,
  type ResolvedMessagingOptions,
  type DeadLetterDetails,
  type DeadLetterListing,
  type ReplayResult,
} from '@app/messaging';
import { deadLetterHttpErrors, replaySelectorOf } from './dead-letter-http';

@Controller('admin/dead-letters')
@UseGuards(AdminTokenGuard)
export class DeadLetterAdminController {
  /** `<serviceName>.` while the API is scoped to the service's own queues; undefined for the whole vhost. */
  private readonly ownPrefix?: string;

  constructor(
    private readonly admin: DeadLetterAdmin,
    @Inject(ADMIN_OPTIONS) options: AdminOptions,
    @Inject(MESSAGING_OPTIONS) messaging: ResolvedMessagingOptions,
  ) {
    this.ownPrefix = options.scope === 'vhost' ? undefined : `${messaging.serviceName}.`;
  }

  @Get(':queue')
  list(@Param('queue') queue: string): Promise<DeadLetterListing> {
    this.assertInScope(queue);
    return deadLetterHttpErrors(this.admin.list(queue));
  }

  @Get(':queue/messages/:messageId')
  show(@Param('queue') queue: string, @Param('messageId') messageId: string): Promise<DeadLetterDetails> {
    this.assertInScope(queue);
    return deadLetterHttpErrors(this.admin.show(queue, messageId));
  }

  @Post(':queue/replay')
  @HttpCode(200)
  replay(@Param('queue') queue: string, @Body() body: unknown): Promise<ReplayResult> {
    this.assertInScope(queue);
    return deadLetterHttpErrors(Promise.resolve().then(() => this.admin.replay(queue, replaySelectorOf(body))));
  }

  @Delete(':queue')
  async purge(@Param('queue') queue: string, @Query('confirm') confirm?: string): Promise<{ queue: string; purged: number }> {
    this.assertInScope(queue);
    if (confirm !== 'true') throw new BadRequestException('Purging deletes every dead letter: add ?confirm=true');
    return deadLetterHttpErrors(
      (async () => {
        const name = await this.admin.resolveQueue(queue);
        return { queue: name, purged: await this.admin.purge(name) };
      })(),
    );
  }

  /** Refuses, before anything touches the broker, a queue of another service while the API is scoped to its own. */
  private assertInScope(queue: string): void {
    if (this.ownPrefix === undefined || queue.startsWith(this.ownPrefix)) return;
    throw new ForbiddenException(
      `Queue "${queue.length > 80 ? `${queue.slice(0, 80)}…` : queue}" is not one of this service's (${this.ownPrefix}*); ` +
        "AdminModule's scope: 'vhost' lets the admin API act on every queue of the vhost",
    );
  }
}
