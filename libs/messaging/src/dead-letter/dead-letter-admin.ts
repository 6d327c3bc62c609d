// Operates on dead-letter queues for people: browse them without losing anything, show one, replay, purge.
// Only ever touches queues named `<queue>.dlq`: a typo must not purge or drain a live queue.
import { Inject, Injectable } from '@nestjs/common';
import type { Channel as ManagedChannel } from 'amqp-connection-manager';
import type { Channel, Message, Options } from 'amqplib';
import { AmqpConnection } from '../connection/amqp-connection';
import { deliveredProperties } from '../consuming/delivered-properties';
import { MESSAGING_OPTIONS } from '../messaging.constants';
import type { ResolvedMessagingOptions } from '../options/messaging-options';
import { BROKER_DEATH_HEADERS, MessageHeaders, TopologyNames } from '../topology/topology-names';

/** Headers the replay tool writes (their names live with the others in topology-names.ts). */
export const ReplayHeaders = { replayedAt: MessageHeaders.replayedAt, replayCount: MessageHeaders.replayCount } as const;

/** Headers that describe the failure that dead-lettered a message: a replay starts without them, at attempt 1. */
const FAILURE_HEADERS: readonly string[] = [
  MessageHeaders.errorType,
  MessageHeaders.errorMessage,
  MessageHeaders.errorStack,
  MessageHeaders.attempts,
  MessageHeaders.firstFailedAt,
  MessageHeaders.lastFailedAt,
  MessageHeaders.originalExchange,
  MessageHeaders.originalRoutingKey,
  MessageHeaders.originalQueue,
  MessageHeaders.handler,
  ...BROKER_DEATH_HEADERS,
];

/** AMQP's limit on a queue name (a short string). */
const MAX_QUEUE_NAME_BYTES = 255;

/** How many dead letters list() and show() look at, at most, unless told otherwise. */
export const DEFAULT_BROWSE_LIMIT = 10_000;

/** The queue does not exist on the broker. */
export class DeadLetterQueueNotFoundError extends Error {
  override readonly name: string = 'DeadLetterQueueNotFoundError';
}

/** The queue exists but is not a dead-letter queue; the admin tool refuses to touch it. */
export class NotADeadLetterQueueError extends Error {
  override readonly name: string = 'NotADeadLetterQueueError';
}

/** No dead letter with that message id among the ones looked at. */
export class DeadLetterNotFoundError extends Error {
  override readonly name: string = 'DeadLetterNotFoundError';
}

/** A replay selector that does not name exactly one way of choosing dead letters. */
export class InvalidReplaySelectorError extends Error {
  override readonly name: string = 'InvalidReplaySelectorError';
}

export interface DeadLetterGroup {
  errorType: string;
  errorMessage: string;
  messageType: string;
  count: number;
}

export interface DeadLetterListing {
  queue: string;
  /** Messages in the queue when the listing started. */
  total: number;
  /** Messages looked at: `total`, unless the browse limit cut it short (then `truncated`). */
  browsed: number;
  truncated: boolean;
  /** Grouped by error type, error message and message type; largest group first. */
  groups: DeadLetterGroup[];
}

export interface DeadLetterDetails {
  queue: string;
  messageId: string;
  /** AMQP properties other than headers; unset ones are left out. */
  properties: Record<string, unknown>;
  headers: Record<string, unknown>;
  /** The body read as UTF-8. */
  body: string;
  /** The body byte for byte. */
  bodyBase64: string;
  /** The body parsed, when it is JSON. */
  json?: unknown;
}

/** One dead letter as a list shows it: its ids and its failure, without its body. */
export interface DeadLetterSummary {
  messageId: string;
  messageType: string;
  errorType: string;
  errorMessage: string;
  /** Deliveries it had when it was dead-lettered. */
  attempts?: number;
  firstFailedAt?: string;
  lastFailedAt?: string;
  /** The queue it failed in. */
  originalQueue?: string;
  /** How often it was replayed before (and failed again). */
  replayCount?: number;
  /** Size of its body in bytes. */
  bytes: number;
}

export interface DeadLetterSummaries {
  queue: string;
  total: number;
  browsed: number;
  truncated: boolean;
  /** In queue order, oldest first. */
  letters: DeadLetterSummary[];
}

/** What replaces a dead letter's body (and its type and headers, when given) in an edited replay. */
export interface EditedCopy {
  content: Buffer;
  /** The AMQP type of the copy; default the dead letter's. */
  messageType?: string;
  /** Headers set on the copy over the dead letter's own (failure headers are left out either way). */
  headers?: Record<string, unknown>;
}

/** Exactly one of the three. */
export interface ReplaySelector {
  ids?: string[];
  all?: boolean;
  errorType?: string;
}

export interface ReplaySkip {
  messageId: string;
  reason: string;
}

export interface ReplayResult {
  queue: string;
  /** Dead letters looked at: the queue's depth when the replay started, at most. */
  examined: number;
  replayed: number;
  /** Matching dead letters left in the queue, each with its reason in `skips`. */
  skipped: number;
  skips: ReplaySkip[];
  /** Requested ids that were not found among the examined dead letters. */
  notFound: string[];
  /** Set when the replay stopped early because the broker did not confirm a re-publish; the rest stays queued. */
  interrupted?: string;
}

/** Called after each examined dead letter: `done` of `total` examined, `replayed` so far. */
export type ReplayProgress = (done: number, total: number, replayed: number) => void;

@Injectable()
export class DeadLetterAdmin {
  constructor(
    private readonly connection: AmqpConnection,
    private readonly names: TopologyNames,
    @Inject(MESSAGING_OPTIONS) private readonly options: ResolvedMessagingOptions,
  ) {}

  /** The dead-letter queue a name stands for: `<queue>.dlq` as given, or a handler queue's `.dlq`. */
  async resolveQueue(name: string): Promise<string> {
    const suffix = this.names.deadLetterQueue('');
    if (name.length === 0 || Buffer.byteLength(name) > MAX_QUEUE_NAME_BYTES) {
      throw new NotADeadLetterQueueError(`"${shortName(name)}" is not a queue name (1 to ${MAX_QUEUE_NAME_BYTES} bytes)`);
    }
    if (name.endsWith(suffix)) {
      if (!(await this.exists(name))) throw new DeadLetterQueueNotFoundError(`Queue "${name}" does not exist`);
      return name;
    }
    const deadLetterQueue = this.names.deadLetterQueue(name);
    // A name within the limit whose `.dlq` is past it has no dead-letter queue (the broker refuses such a name).
    const namable = Buffer.byteLength(deadLetterQueue) <= MAX_QUEUE_NAME_BYTES;
    if (namable && (await this.exists(deadLetterQueue))) return deadLetterQueue;
    if (await this.exists(name)) {
      throw new NotADeadLetterQueueError(
        `"${name}" is not a dead-letter queue (its name does not end in "${suffix}") and has none; refusing to touch it`,
      );
    }
    throw new DeadLetterQueueNotFoundError(`Neither "${deadLetterQueue}" nor "${name}" exists`);
  }

  /** Messages in the dead-letter queue now. */
  async depth(queue: string): Promise<{ queue: string; messages: number }> {
    const name = await this.resolveQueue(queue);
    const { messageCount } = await this.temporary((channel) => channel.checkQueue(name));
    return { queue: name, messages: messageCount };
  }

  /** Groups the dead letters by error; every message stays in the queue. */
  async list(queue: string, options: { limit?: number } = {}): Promise<DeadLetterListing> {
    const name = await this.resolveQueue(queue);
    const groups = new Map<string, DeadLetterGroup>();
    const { total, browsed } = await this.browse(name, options.limit ?? DEFAULT_BROWSE_LIMIT, (message) => {
      const headers = message.properties.headers ?? {};
      const group = {
        errorType: headerText(headers[MessageHeaders.errorType]) ?? '(none)',
        errorMessage: headerText(headers[MessageHeaders.errorMessage]) ?? '',
        messageType: headerText(message.properties.type) ?? '(none)',
      };
      const key = JSON.stringify(group);
      const found = groups.get(key) ?? { ...group, count: 0 };
      found.count++;
      groups.set(key, found);
      return false;
    });
    return {
      queue: name,
      total,
      browsed,
      truncated: browsed < total,
      groups: [...groups.values()].sort((a, b) => b.count - a.count),
    };
  }

  /** Each dead letter's ids and failure (no bodies), oldest first; every message stays in the queue. */
  async summaries(queue: string, options: { limit?: number } = {}): Promise<DeadLetterSummaries> {
    const name = await this.resolveQueue(queue);
    const letters: DeadLetterSummary[] = [];
    const { total, browsed } = await this.browse(name, options.limit ?? DEFAULT_BROWSE_LIMIT, (message) => {
      letters.push(summaryOf(message));
      return false;
    });
    return { queue: name, total, browsed, truncated: browsed < total, letters };
  }

  /** One dead letter in full; it stays in the queue. Throws DeadLetterNotFoundError. */
  async show(queue: string, messageId: string, options: { limit?: number } = {}): Promise<DeadLetterDetails> {
    const name = await this.resolveQueue(queue);
    let found: Message | undefined;
    const { total, browsed } = await this.browse(name, options.limit ?? DEFAULT_BROWSE_LIMIT, (message) => {
      if (message.properties.messageId !== messageId) return false;
      found = message;
      return true;
    });
    if (!found) {
      const where = browsed < total ? `the first ${browsed} of ${total} messages of "${name}"` : `"${name}"`;
      throw new DeadLetterNotFoundError(`No dead letter with message id "${messageId}" in ${where}`);
    }
    const { headers, ...properties } = found.properties;
    const body = found.content.toString('utf8');
    const details: DeadLetterDetails = {
      queue: name,
      messageId,
      properties: Object.fromEntries(Object.entries(properties).filter(([, value]) => value !== undefined)),
      headers: { ...(headers ?? {}) },
      body,
      bodyBase64: found.content.toString('base64'),
    };
    try {
      details.json = JSON.parse(body);
    } catch {
      // Not JSON: the text and the bytes are all there is.
    }
    return details;
  }

  /**
   * Re-publishes matching dead letters to the queue they failed in, as new attempts, and removes each from the
   * dead-letter queue only once the broker has confirmed its copy. Looks at no more messages than the queue held at
   * the start, so dead letters that arrive meanwhile (a replay failing again) are not looped over.
   */
  async replay(queue: string, selector: ReplaySelector, onProgress?: ReplayProgress): Promise<ReplayResult> {
    const matches = replayMatcher(selector);
    const name = await this.resolveQueue(queue);
    const result: ReplayResult = { queue: name, examined: 0, replayed: 0, skipped: 0, skips: [], notFound: [] };
    const seenIds = new Set<string>();
    await this.withReplayPublisher(name, (publish) =>
      this.temporary(async (channel) => {
        const { messageCount: total } = await channel.checkQueue(name);
        while (result.examined < total && !result.interrupted) {
          const message = await channel.get(name, { noAck: false });
          if (!message) break;
          result.examined++;
          const messageId = headerText(message.properties.messageId) ?? '';
          if (matches(message)) {
            seenIds.add(messageId);
            const target = originalQueueOf(message);
            if (!target) {
              result.skips.push({ messageId, reason: `no ${MessageHeaders.originalQueue} header` });
            } else {
              try {
                if (await publish(target, message.content, replayProperties(message))) {
                  channel.ack(message);
                  result.replayed++;
                } else {
                  result.skips.push({ messageId, reason: `queue "${target}" does not exist` });
                }
              } catch (error) {
                result.interrupted = `re-publish of "${messageId}" to "${target}" was not confirmed: ${errorText(error)}`;
                result.skips.push({ messageId, reason: result.interrupted });
              }
            }
          }
          onProgress?.(result.examined, total, result.replayed);
        }
      }),
    );
    result.skipped = result.skips.length;
    result.notFound = (selector.ids ?? []).filter((id) => !seenIds.has(id));
    return result;
  }

  /**
   * Replaces one dead letter by a new attempt with another body. `edit` gets the dead letter and returns its copy's
   * body (it throws to refuse, and the dead letter stays as it was); the copy goes to the queue the message failed in,
   * as a replay does, and the dead letter is removed only once the broker has confirmed the copy.
   */
  async replayEdited(
    queue: string,
    messageId: string,
    edit: (letter: Message) => EditedCopy | Promise<EditedCopy>,
    options: { limit?: number } = {},
  ): Promise<ReplayResult> {
    const name = await this.resolveQueue(queue);
    return this.withReplayPublisher(name, (publish) =>
      this.temporary(async (channel) => {
        const { messageCount: total } = await channel.checkQueue(name);
        let examined = 0;
        while (examined < Math.min(total, options.limit ?? DEFAULT_BROWSE_LIMIT)) {
          const message = await channel.get(name, { noAck: false });
          if (!message) break;
          examined++;
          if (message.properties.messageId !== messageId) continue;
          const target = originalQueueOf(message);
          if (!target) throw new DeadLetterNotFoundError(`Dead letter "${messageId}" has no ${MessageHeaders.originalQueue} header`);
          const copy = await edit(message);
          const properties = replayProperties(message);
          const edited: Options.Publish = {
            ...properties,
            type: copy.messageType ?? properties.type,
            contentType: 'application/json',
            contentEncoding: undefined,
            headers: { ...(properties.headers as Record<string, unknown>), ...copy.headers },
          };
          const result: ReplayResult = { queue: name, examined, replayed: 0, skipped: 0, skips: [], notFound: [] };
          try {
            if (await publish(target, copy.content, edited)) {
              channel.ack(message);
              result.replayed = 1;
            } else {
              result.skips.push({ messageId, reason: `queue "${target}" does not exist` });
            }
          } catch (error) {
            result.interrupted = `re-publish of "${messageId}" to "${target}" was not confirmed: ${errorText(error)}`;
            result.skips.push({ messageId, reason: result.interrupted });
          }
          result.skipped = result.skips.length;
          return result;
        }
        throw new DeadLetterNotFoundError(`No dead letter with message id "${messageId}" in "${name}"`);
      }),
    );
  }

  /** Deletes every message of the dead-letter queue; returns how many. */
  async purge(queue: string): Promise<number> {
    const name = await this.resolveQueue(queue);
    const { messageCount } = await this.temporary((channel) => channel.purgeQueue(name));
    return messageCount;
  }

  /**
   * Runs `work` with a confirm channel that publishes a dead letter's copy to a queue and resolves true once the broker
   * confirmed it, false when the queue does not exist. Mandatory: a copy for a queue that no longer exists comes back
   * (basic.return, before its confirm) instead of being confirmed and dropped, which would lose the dead letter when it
   * is acked.
   */
  private async withReplayPublisher<T>(
    queue: string,
    work: (publish: (target: string, content: Buffer, properties: Options.Publish) => Promise<boolean>) => Promise<T>,
  ): Promise<T> {
    let returned = false;
    const publisher = this.connection.createChannel({
      name: `dead-letter-replay:${queue}`,
      confirm: true,
      // eslint-disable-next-line @typescript-eslint/require-await -- the promise form of amqp-connection-manager's setup (the other takes a callback)
      setup: async (channel: ManagedChannel) => {
        channel.on('return', () => {
          returned = true;
        });
      },
    });
    publisher.on('error', () => undefined); // setup cannot fail; publish failures reject below
    try {
      await publisher.waitForConnect();
      return await work(async (target, content, properties) => {
        returned = false;
        await publisher.publish('', target, content, { ...properties, mandatory: true, timeout: this.options.publishTimeoutMs });
        return !returned;
      });
    } finally {
      await publisher.close().catch(() => undefined);
    }
  }

  /**
   * Gets up to min(depth, limit) messages without acking any, handing each to `visit` until it returns true, then
   * closes the channel, which gives every one of them back to the queue.
   */
  private async browse(queue: string, limit: number, visit: (message: Message) => boolean): Promise<{ total: number; browsed: number }> {
    return this.temporary(async (channel) => {
      const { messageCount: total } = await channel.checkQueue(queue);
      let browsed = 0;
      while (browsed < Math.min(total, limit)) {
        const message = await channel.get(queue, { noAck: false });
        if (!message) break;
        browsed++;
        if (visit(message)) break;
      }
      return { total, browsed };
    });
  }

  private async exists(queue: string): Promise<boolean> {
    try {
      await this.temporary((channel) => channel.checkQueue(queue));
      return true;
    } catch (error) {
      if ((error as { code?: unknown }).code === 404) return false;
      throw error;
    }
  }

  /** A channel of its own for each command: a 404 closes it, and closing it requeues whatever it did not ack. */
  private async temporary<T>(fn: (channel: Channel) => Promise<T>): Promise<T> {
    await this.connection.waitForConnect(this.options.publishTimeoutMs);
    return this.connection.withTemporaryChannel(fn);
  }
}

/** Checks a selector and returns the test it stands for. Throws InvalidReplaySelectorError. */
export function replayMatcher(selector: ReplaySelector): (message: Message) => boolean {
  const given = (['ids', 'all', 'errorType'] as const).filter((key) => selector[key] !== undefined);
  if (given.length !== 1) {
    throw new InvalidReplaySelectorError(
      `Give exactly one of ids, all or errorType${given.length > 1 ? ` (got ${given.join(' and ')})` : ''}`,
    );
  }
  const { ids, all, errorType } = selector;
  if (ids !== undefined) {
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === 'string' && id.length > 0)) {
      throw new InvalidReplaySelectorError('ids must be a non-empty list of message ids');
    }
    const wanted = new Set(ids);
    return (message) => wanted.has(headerText(message.properties.messageId) ?? '');
  }
  if (all !== undefined) {
    if (all !== true) throw new InvalidReplaySelectorError('all must be true when given');
    return () => true;
  }
  if (typeof errorType !== 'string' || errorType.length === 0) {
    throw new InvalidReplaySelectorError('errorType must be a non-empty string');
  }
  return (message) => headerText(message.properties.headers?.[MessageHeaders.errorType]) === errorType;
}

/** AMQP properties of a dead letter's replayed copy: the original envelope, with the failure headers left out. */
export function replayProperties(message: Message, now = new Date()): Options.Publish {
  const p = deliveredProperties(message);
  const properties: Options.Publish = {
    messageId: p.messageId,
    type: p.type,
    correlationId: p.correlationId,
    timestamp: p.timestamp,
    contentType: p.contentType,
    contentEncoding: p.contentEncoding,
    appId: p.appId,
    priority: p.priority,
    replyTo: p.replyTo,
    persistent: p.deliveryMode === 2,
    headers: replayHeaders(p.headers ?? {}, now),
  };
  return Object.fromEntries(Object.entries(properties).filter(([, value]) => value !== undefined));
}

/** The dead letter's headers without the failure headers, plus when it was replayed and how often so far. */
export function replayHeaders(headers: Record<string, unknown>, now = new Date()): Record<string, unknown> {
  const kept = Object.fromEntries(Object.entries(headers).filter(([name]) => !FAILURE_HEADERS.includes(name)));
  const previous = Number(headers[ReplayHeaders.replayCount]);
  return {
    ...kept,
    [ReplayHeaders.replayedAt]: now.toISOString(),
    [ReplayHeaders.replayCount]: Number.isInteger(previous) && previous > 0 ? previous + 1 : 1,
  };
}

/**
 * The queue a dead letter failed in. Dead letters the broker made itself (the quorum delivery-limit backstop) name it
 * in x-first-death-queue.
 */
export function originalQueueOf(message: Message): string | undefined {
  const headers = message.properties.headers ?? {};
  return headerText(headers[MessageHeaders.originalQueue]) ?? headerText(headers[MessageHeaders.firstDeathQueue]);
}

function summaryOf(message: Message): DeadLetterSummary {
  const headers = message.properties.headers ?? {};
  const attempts = Number(headerText(headers[MessageHeaders.attempts]));
  const replays = Number(headerText(headers[ReplayHeaders.replayCount]));
  const summary: DeadLetterSummary = {
    messageId: headerText(message.properties.messageId) ?? '',
    messageType: headerText(message.properties.type) ?? '(none)',
    errorType: headerText(headers[MessageHeaders.errorType]) ?? '(none)',
    errorMessage: headerText(headers[MessageHeaders.errorMessage]) ?? '',
    attempts: Number.isInteger(attempts) ? attempts : undefined,
    firstFailedAt: headerText(headers[MessageHeaders.firstFailedAt]),
    lastFailedAt: headerText(headers[MessageHeaders.lastFailedAt]),
    originalQueue: originalQueueOf(message),
    replayCount: Number.isInteger(replays) && replays > 0 ? replays : undefined,
    bytes: message.content.length,
  };
  return Object.fromEntries(Object.entries(summary).filter(([, value]) => value !== undefined)) as unknown as DeadLetterSummary;
}

function headerText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.length > 0 ? value : undefined;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'number') return String(value);
  return undefined;
}

/** A name as an error repeats it: a name past the limit may be of any length. */
function shortName(name: string): string {
  return name.length > 80 ? `${name.slice(0, 80)}…` : name;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
