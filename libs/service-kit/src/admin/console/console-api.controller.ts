// The admin console's JSON API under /admin/api, behind the admin token like the rest of /admin: what the page's
// script polls (the overview, the dead letters) and the actions it takes.
import { BadRequestException, Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, UseGuards } from '@nestjs/common';
import { MESSAGING_OPTIONS, type ReplayResult, type ResolvedMessagingOptions } from '@app/messaging';
import { AdminTokenGuard } from '../admin-token.guard';
import { deadLetterHttpErrors, replaySelectorOf } from '../dead-letter-http';
import { ConsoleDeadLetters, type DeadLetterQueueView, type DeadLetterView } from './console-dead-letters';
import { ConsoleOverviewService, type ConsoleOverview } from './console-overview';

/** How often the page polls, in ms. */
export const CONSOLE_POLL_MS = 2000;

@Controller('admin/api')
@UseGuards(AdminTokenGuard)
export class ConsoleApiController {
  constructor(
    private readonly overviews: ConsoleOverviewService,
    private readonly deadLetters: ConsoleDeadLetters,
    @Inject(MESSAGING_OPTIONS) private readonly options: ResolvedMessagingOptions,
  ) {}

  /** Answers 200 to a good token: the sign-in's check. */
  @Get('session')
  session(): { service: string; pollMs: number } {
    return { service: this.options.serviceName, pollMs: CONSOLE_POLL_MS };
  }

  @Get('overview')
  overview(): Promise<ConsoleOverview> {
    return this.overviews.overview();
  }

  @Get('dead-letters')
  async listDeadLetters(): Promise<{ queues: DeadLetterQueueView[] }> {
    return { queues: await this.deadLetters.list() };
  }

  @Get('dead-letters/:queue/messages/:messageId')
  show(@Param('queue') queue: string, @Param('messageId') messageId: string): Promise<DeadLetterView> {
    return deadLetterHttpErrors(this.deadLetters.show(queue, messageId));
  }

  /** `{ "ids": [...] }`, `{ "errorType": "..." }` or `{ "all": true }`. */
  @Post('dead-letters/:queue/replay')
  @HttpCode(200)
  replay(@Param('queue') queue: string, @Body() body: unknown): Promise<ReplayResult> {
    return deadLetterHttpErrors(Promise.resolve().then(() => this.deadLetters.replay(queue, replaySelectorOf(body))));
  }

  /**
   * `{ "body": <the edited JSON, as an object or as text> }`: checked against the handler's message class, then sent
   * in place of the dead letter's; 422 with every reason (`issues`) when it would be refused.
   */
  @Post('dead-letters/:queue/messages/:messageId/replay-edited')
  @HttpCode(200)
  replayEdited(@Param('queue') queue: string, @Param('messageId') messageId: string, @Body() request: unknown): Promise<ReplayResult> {
    const body = (request as { body?: unknown } | null)?.body;
    if (body === undefined || body === null) throw new BadRequestException('Send { "body": <the edited message body> }');
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    return deadLetterHttpErrors(this.deadLetters.replayEdited(queue, messageId, text));
  }

  @Delete('dead-letters/:queue')
  purge(@Param('queue') queue: string, @Query('confirm') confirm?: string): Promise<{ queue: string; purged: number }> {
    if (confirm !== 'true') throw new BadRequestException('Purging deletes every dead letter of the queue: add ?confirm=true');
    return deadLetterHttpErrors(this.deadLetters.purge(queue));
  }
}
