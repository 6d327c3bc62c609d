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
  NotFoundException,
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
  DeadLetterNotFoundError,
  DeadLetterQueueNotFoundError,
  InvalidReplaySelectorError,
  NotADeadLetterQueueError,
  replayMatcher,
  type DeadLetterDetails,
  type DeadLetterListing,
  type ReplayResult,
  type ReplaySelector,
} from '@app/messaging';

const SELECTOR_KEYS = ['ids', 'all', 'errorType'];

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
    return httpErrors(this.admin.list(queue));
  }

  @Get(':queue/messages/:messageId')
  show(@Param('queue') queue: string, @Param('messageId') messageId: string): Promise<DeadLetterDetails> {
    this.assertInScope(queue);
    return httpErrors(this.admin.show(queue, messageId));
  }

  @Post(':queue/replay')
  @HttpCode(200)
  replay(@Param('queue') queue: string, @Body() body: unknown): Promise<ReplayResult> {
    this.assertInScope(queue);
    return httpErrors(Promise.resolve().then(() => this.admin.replay(queue, replaySelector(body))));
  }

  @Delete(':queue')
  async purge(@Param('queue') queue: string, @Query('confirm') confirm?: string): Promise<{ queue: string; purged: number }> {
    this.assertInScope(queue);
    if (confirm !== 'true') throw new BadRequestException('Purging deletes every dead letter: add ?confirm=true');
    return httpErrors(
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

/** The request body as a selector, checked before anything touches the broker. */
function replaySelector(body: unknown): ReplaySelector {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidReplaySelectorError('The body must be a JSON object: { "ids": [...] }, { "all": true } or { "errorType": "..." }');
  }
  const unknown = Object.keys(body).filter((key) => !SELECTOR_KEYS.includes(key));
  if (unknown.length > 0) throw new InvalidReplaySelectorError(`Unknown field(s): ${unknown.join(', ')}`);
  const selector = body as ReplaySelector;
  replayMatcher(selector);
  return selector;
}

async function httpErrors<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof DeadLetterQueueNotFoundError || error instanceof DeadLetterNotFoundError) {
      throw new NotFoundException(error.message);
    }
    if (error instanceof NotADeadLetterQueueError || error instanceof InvalidReplaySelectorError) {
      throw new BadRequestException(error.message);
    }
    throw error;
  }
}
