// The admin console's JSON API under /admin/api, behind the admin token like the rest of /admin: what the page's
// script polls (the overview, the dead letters) and the actions it takes.
import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
  UnprocessableEntityException,
  UseGuards,
} from '@nestjs/common';
import {
  DeadLetterEditRefusedError,
  DeadLetterNotFoundError,
  DeadLetterQueueNotFoundError,
  InvalidReplaySelectorError,
  MESSAGING_OPTIONS,
  NotADeadLetterQueueError,
  replayMatcher,
  type ReplayResult,
  type ReplaySelector,
  type ResolvedMessagingOptions,
} from '@app/messaging';
import { AdminTokenGuard } from '../admin-token.guard';
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
    return httpErrors(this.deadLetters.show(queue, messageId));
  }

  /** `{ "ids": [...] }`, `{ "errorType": "..." }` or `{ "all": true }`. */
  @Post('dead-letters/:queue/replay')
  @HttpCode(200)
  replay(@Param('queue') queue: string, @Body() body: unknown): Promise<ReplayResult> {
    return httpErrors(Promise.resolve().then(() => this.deadLetters.replay(queue, selectorOf(body))));
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
    return httpErrors(this.deadLetters.replayEdited(queue, messageId, text));
  }

  @Delete('dead-letters/:queue')
  purge(@Param('queue') queue: string, @Query('confirm') confirm?: string): Promise<{ queue: string; purged: number }> {
    if (confirm !== 'true') throw new BadRequestException('Purging deletes every dead letter of the queue: add ?confirm=true');
    return httpErrors(this.deadLetters.purge(queue));
  }
}

function selectorOf(body: unknown): ReplaySelector {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidReplaySelectorError('The body must be a JSON object: { "ids": [...] }, { "all": true } or { "errorType": "..." }');
  }
  const unknown = Object.keys(body).filter((key) => !['ids', 'all', 'errorType'].includes(key));
  if (unknown.length > 0) throw new InvalidReplaySelectorError(`Unknown field(s): ${unknown.join(', ')}`);
  replayMatcher(body);
  return body;
}

async function httpErrors<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof DeadLetterEditRefusedError) {
      throw new UnprocessableEntityException({
        statusCode: 422,
        error: 'Unprocessable Entity',
        message: error.message,
        issues: error.issues,
      });
    }
    if (error instanceof DeadLetterQueueNotFoundError || error instanceof DeadLetterNotFoundError)
      throw new NotFoundException(error.message);
    if (error instanceof NotADeadLetterQueueError || error instanceof InvalidReplaySelectorError) {
      throw new BadRequestException(error.message);
    }
    throw error;
  }
}
