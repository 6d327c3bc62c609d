// The dead letters of a service's own handlers as the admin console works with them: grouped by error type, one shown
// with its personal data masked, replayed (one, a selection, a group), edited and replayed, purged. The operations on
// one queue run one after another in this process, so that a listing never holds the messages a replay is looking for.
import { Injectable, Logger, NotFoundException } from '@nestjs/common';
import {
  DeadLetterAdmin,
  DeadLetterEditor,
  maskedForEditing,
  maskEmails,
  maskSensitive,
  MessageHeaders,
  type HandlerContract,
  type ReplayResult,
  type ReplaySelector,
} from '@app/messaging';
import { groupDeadLetters, type DeadLetterGroupView } from './dead-letter-groups';

/** Dead letters looked at per queue for a listing; the counts say when there are more. */
export const CONSOLE_BROWSE_LIMIT = 500;

export interface DeadLetterQueueView {
  queue: string;
  handlerQueue: string;
  messageType: string;
  total: number;
  browsed: number;
  truncated: boolean;
  groups: DeadLetterGroupView[];
  problem?: string;
}

export interface DeadLetterView {
  queue: string;
  messageId: string;
  /** AMQP properties other than headers, as text. */
  properties: Record<string, string>;
  /** Headers as text, personal data masked; the stack is apart. */
  headers: Record<string, string>;
  errorStack?: string;
  /** The body as text: pretty JSON with @Sensitive fields and e-mail addresses masked, or the masked text. */
  body: string;
  bodyIsJson: boolean;
  /** The contract an edited body is checked against, when this service handles the queue it failed in. */
  contract?: { handler: string; messageType: string; schemaVersion: number };
}

@Injectable()
export class ConsoleDeadLetters {
  private readonly logger = new Logger('AdminConsole');
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly admin: DeadLetterAdmin,
    private readonly editor: DeadLetterEditor,
  ) {}

  async list(): Promise<DeadLetterQueueView[]> {
    return Promise.all(
      this.editor.handlers().map(async (handler): Promise<DeadLetterQueueView> => {
        const view = { queue: handler.deadLetterQueue, handlerQueue: handler.queue, messageType: handler.messageType };
        try {
          const found = await this.serially(handler.deadLetterQueue, () =>
            this.admin.summaries(handler.deadLetterQueue, { limit: CONSOLE_BROWSE_LIMIT }),
          );
          const { total, browsed, truncated } = found;
          return { ...view, total, browsed, truncated, groups: groupDeadLetters(found.letters) };
        } catch (error) {
          return { ...view, total: 0, browsed: 0, truncated: false, groups: [], problem: (error as Error).message };
        }
      }),
    );
  }

  async show(queue: string, messageId: string): Promise<DeadLetterView> {
    const handler = this.own(queue);
    const letter = await this.serially(queue, () => this.admin.show(queue, messageId));
    const { [MessageHeaders.errorStack]: stack, ...headers } = letter.headers;
    const bodyIsJson = letter.json !== undefined;
    return {
      queue: letter.queue,
      messageId: letter.messageId,
      properties: textValues(letter.properties),
      headers: textValues(maskSensitive(headers) as Record<string, unknown>),
      errorStack: stack === undefined ? undefined : maskEmails(text(stack)),
      body: bodyIsJson ? JSON.stringify(maskedForEditing(letter.json), null, 2) : maskEmails(letter.body),
      bodyIsJson,
      contract: { handler: handler.handler, messageType: handler.messageType, schemaVersion: handler.schemaVersion },
    };
  }

  async replay(queue: string, selector: ReplaySelector): Promise<ReplayResult> {
    this.own(queue);
    const result = await this.serially(queue, () => this.admin.replay(queue, selector));
    this.logger.log({ event: 'admin.dead_letters_replayed', queue, selector: describe(selector), replayed: result.replayed });
    return result;
  }

  async replayEdited(queue: string, messageId: string, body: string): Promise<ReplayResult> {
    this.own(queue);
    const result = await this.serially(queue, () => this.editor.replayEdited(queue, messageId, body));
    this.logger.log({ event: 'admin.dead_letter_replayed_edited', queue, messageId, replayed: result.replayed });
    return result;
  }

  async purge(queue: string): Promise<{ queue: string; purged: number }> {
    this.own(queue);
    const purged = await this.serially(queue, () => this.admin.purge(queue));
    this.logger.warn({ event: 'admin.dead_letters_purged', queue, purged });
    return { queue, purged };
  }

  /** The handler whose dead-letter queue this is; 404 for any other queue, whatever the admin API's scope. */
  private own(queue: string): HandlerContract {
    const handler = this.editor.handlers().find((candidate) => candidate.deadLetterQueue === queue);
    if (!handler) throw new NotFoundException(`"${queue.slice(0, 80)}" is not the dead-letter queue of a handler of this service`);
    return handler;
  }

  /** Runs `work` after the operations on `queue` already asked for. */
  private serially<T>(queue: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(queue) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    this.queues.set(queue, settled);
    void settled.then(() => {
      if (this.queues.get(queue) === settled) this.queues.delete(queue);
    });
    return next;
  }
}

function describe(selector: ReplaySelector): string {
  if (selector.ids) return `${selector.ids.length} id(s)`;
  if (selector.errorType !== undefined) return `errorType ${selector.errorType}`;
  return 'all';
}

/** Each value as text: Buffers as UTF-8, dates as ISO 8601, objects as JSON. */
function textValues(values: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, text(value)]));
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object' && value !== null) return JSON.stringify(value, bufferAsText);
  return String(value);
}

/** JSON.stringify's replacer: a Buffer (which has become `{ type: 'Buffer', data }` by then) as its UTF-8 text. */
function bufferAsText(_key: string, item: unknown): unknown {
  const buffer = item as { type?: unknown; data?: unknown } | null;
  return buffer?.type === 'Buffer' && Array.isArray(buffer.data) ? Buffer.from(buffer.data as number[]).toString('utf8') : item;
}
