// Schedules a message for later: validated and enveloped now, then sent into the delay ladder (or the plugin's
// exchange) towards the service's scheduled queue, from where it is published once due. Inside a transaction the
// first hop is an outbox row, so the schedule exists if, and only if, that transaction commits. A token cancels it.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { assertMessageClass, type MessageClass, type MessageData } from '@app/messaging-core';
import type { MessageTransaction } from '../consuming/message-context';
import { ConsumerSupervisor } from '../consuming/consumer-supervisor';
import { MessagePublisher } from '../publishing/message-publisher';
import type { OutgoingMessage, PublishOptions } from '../publishing/outgoing-message';
import { OUTBOX_WRITER, type OutboxWriter } from '../publishing/outbox-writer';
import { DelayScheduler } from '../retry/delay-scheduler';
import { MessageHeaders, TopologyNames } from '../topology/topology-names';
import { injectTraceContext } from '../tracing/message-tracing';
import { ScheduleCancellations } from './schedule-cancellations';
import { InvalidScheduleError, UnknownMessageTypeError } from './schedule-errors';
import { dueAtOf, nextHopMs, type ScheduleWhen } from './schedule-time';
import { SCHEDULING_OPTIONS } from './scheduling.constants';
import type { ResolvedSchedulingOptions } from './scheduling-options';

export interface ScheduleOptions extends PublishOptions {
  /**
   * Write the schedule in this database transaction (through the outbox): it exists if, and only if, the transaction
   * commits. A handler's `context.schedule` passes its own transaction by itself.
   */
  transaction?: MessageTransaction;
}

/** What a schedule returns: the token that cancels it, the id the message will have, and when it is due. */
export interface ScheduledMessage {
  token: string;
  messageId: string;
  dueAt: Date;
}

@Injectable()
export class MessageScheduler {
  constructor(
    @Inject(SCHEDULING_OPTIONS) private readonly options: ResolvedSchedulingOptions,
    private readonly publisher: MessagePublisher,
    private readonly delays: DelayScheduler,
    private readonly names: TopologyNames,
    private readonly cancellations: ScheduleCancellations,
    private readonly consumers: ConsumerSupervisor,
    @Optional() @Inject(OUTBOX_WRITER) private readonly outboxWriter?: OutboxWriter,
  ) {}

  /**
   * Sends `data` as a message of `type` (a class, or the type name of a class this service knows) once `when` comes:
   * `{ delayMs }` from now, or `{ at }`. Rejects with InvalidScheduleError (a negative delay, a past instant),
   * UnknownMessageTypeError, or MessageValidationError, and nothing is scheduled. The message keeps its id when it is
   * finally published, so the inbox of an @Idempotent handler takes it once however often it is forwarded.
   */
  async schedule<T extends object>(
    type: MessageClass<T> | string,
    data: MessageData<T> | T,
    when: ScheduleWhen,
    options: ScheduleOptions = {},
  ): Promise<ScheduledMessage> {
    const messageClass = this.resolve(type);
    const dueAt = dueAtOf(when);
    const { transaction, ...publishOptions } = options;
    const outgoing = await this.publisher.prepare(messageClass, data, publishOptions);
    const token = randomUUID();
    const headers = outgoing.properties.headers;
    headers[MessageHeaders.scheduledFor] = dueAt.toISOString();
    headers[MessageHeaders.scheduleToken] = token;
    headers[MessageHeaders.scheduledExchange] = outgoing.exchange;
    headers[MessageHeaders.scheduledRoutingKey] = outgoing.routingKey;
    const firstHop = await this.hop(outgoing, dueAt.getTime());
    if (transaction !== undefined) {
      if (!this.outboxWriter)
        throw new InvalidScheduleError('Scheduling in a transaction needs the outbox: DatabaseModule.forRoot() in the application');
      injectTraceContext(firstHop.properties.headers);
      await this.outboxWriter.addPrepared(transaction, firstHop);
    } else {
      await this.publisher.send(firstHop);
    }
    return { token, messageId: outgoing.properties.messageId, dueAt };
  }

  /**
   * Cancels a schedule: when its message comes due it is dropped, however often it is delivered. Cancelling twice,
   * or a token already sent, changes nothing. In `transaction` when given (the database store records it there).
   */
  async cancel(token: string, options: { transaction?: MessageTransaction } = {}): Promise<void> {
    if (typeof token !== 'string' || token === '') throw new InvalidScheduleError('A schedule token is required to cancel');
    await this.cancellations.current.cancel(token, options.transaction);
  }

  /**
   * A copy of a scheduled message routed for its next wait: what is left until `dueAt`, at most the hop limit, into the
   * delay mechanism of this broker, towards the service's scheduled queue.
   */
  async hop(outgoing: OutgoingMessage, dueAt: number, now = Date.now()): Promise<OutgoingMessage> {
    await this.delays.mechanism();
    const route = this.delays.route(this.names.scheduledQueue, nextHopMs(dueAt, now, this.options.hopLimitMs));
    const headers = { ...outgoing.properties.headers, ...route.headers };
    if (!(MessageHeaders.delay in route.headers)) delete headers[MessageHeaders.delay];
    return { ...outgoing, exchange: route.exchange, routingKey: route.routingKey, properties: { ...outgoing.properties, headers } };
  }

  private resolve(type: MessageClass | string): MessageClass {
    if (typeof type === 'string') {
      const known = [...this.options.messages, ...this.consumers.consumedHandlers.map((handler) => handler.messageClass)];
      const found = known.find((candidate) => candidate.messageType === type);
      if (!found) throw new UnknownMessageTypeError(type);
      return found;
    }
    try {
      assertMessageClass(type);
    } catch (error) {
      throw new InvalidScheduleError(`Cannot schedule: ${(error as Error).message}`);
    }
    return type;
  }
}
