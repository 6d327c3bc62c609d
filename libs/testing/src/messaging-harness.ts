// The harness of handler tests: the application's own modules, handlers, guards, interceptors and pipes, with the AMQP
// runtime swapped for the in-memory transport. Messages go through the same publish and consume pipelines as on
// RabbitMQ (validation, envelope, correlation, idempotency, error classification, retries, dead letters with their
// headers, fault events, the outbox relayed), on a virtual clock that only the test moves. No broker, no sleeping.
//
//   const harness = await MessagingHarness.create({ imports: [MessagingModule.forRoot({ serviceName: 'billing' })], providers: [InvoiceHandler] });
//   await harness.publish(OrderCreated, order);
//   const { message } = await harness.consumed(OrderCreated);
import { randomUUID } from 'node:crypto';
import type { INestApplication, ModuleMetadata, Type } from '@nestjs/common';
import { Test, TestingModuleBuilder, type TestingModule } from '@nestjs/testing';
import type { Options } from 'amqplib';
import {
  AmqpConnection,
  ConsumerSupervisor,
  headerTrustFor,
  MessageHeaders,
  MessagePublisher,
  MessagingTransport,
  MESSAGING_OPTIONS,
  SendStep,
  TopologyNames,
  type MessageClass,
  type MessageData,
  type PublishOptions,
  type PublishReceipt,
  type ResolvedMessagingOptions,
} from '@app/messaging';
import { OUTBOX_OPTIONS, OutboxRelay, resolveOutboxOptions } from '@app/persistence';
import { DeliveryJournal, describeSeen, type HandledDelivery } from './delivery-journal';
import { MemoryBroker, type BrokerMessage } from './memory-broker';
import { MemoryConnection } from './memory-connection';
import { MemoryConsumer } from './memory-consumer';
import { MemorySendStep } from './memory-send.step';
import { VirtualClock } from './virtual-clock';

/** A message published to the events exchange (by the application, a fault event, an outbox row relayed). */
export interface PublishedMessage<T = unknown> {
  /** The body as JSON. */
  body: T;
  messageId: string;
  type: string;
  correlationId: string;
  causationId?: string;
  headers: Readonly<Record<string, unknown>>;
  properties: BrokerMessage['properties'];
  /** Virtual time of the publish. */
  at: number;
}

/** A dead-letter copy: the original body, byte for byte, with the reasons in its headers. */
export interface DeadLetter<T = unknown> {
  /** The body as JSON, or undefined when it is not (poison input). */
  body: T | undefined;
  content: Buffer;
  /** The dead-letter queue it is in (`<queue>.dlq`). */
  queue: string;
  messageId: string;
  errorType: string;
  errorMessage: string;
  headers: Readonly<Record<string, unknown>>;
  properties: BrokerMessage['properties'];
}

/** A retry (or deferral) copy sent through the delay exchanges. */
export interface RetriedCopy {
  queue: string;
  messageId: string;
  /** Attempts used when it was sent (x-attempts): the delivery that comes back is attempt `attempts + 1`. */
  attempts: number;
  delayMs: number;
  /** Virtual time it reaches its queue. */
  dueAt: number;
}

/** A raw delivery, for input a well-behaved publisher would never send (poison, a foreign producer). */
export interface RawPublication {
  /** The routing key, and the AMQP type unless `properties` says otherwise. */
  type: string;
  /** Bytes as they are; an object is written as JSON. */
  body: string | Buffer | object;
  properties?: Options.Publish;
}

type Predicate<T, R> = (value: T, record: R) => boolean;

/** A bound on the rounds of settling, so that a handler that publishes to itself forever fails instead of hanging. */
const MAX_SETTLE_ROUNDS = 10_000;

export class MessagingHarness {
  /** How many deliveries had run when the relay last looked for rows. */
  private relayedAfter = -1;

  private constructor(
    readonly app: INestApplication,
    private readonly broker: MemoryBroker,
    private readonly journal: DeliveryJournal,
    private readonly relay: OutboxRelay | undefined,
  ) {}

  /**
   * Compiles and starts the application of `setup` (module metadata, or a Test.createTestingModule builder with your
   * own overrides) on the in-memory transport. The outbox relay, when there is one, is run by the harness: whenever
   * it settles, committed rows are published.
   */
  static async create(setup: ModuleMetadata | TestingModuleBuilder): Promise<MessagingHarness> {
    const clock = new VirtualClock();
    const broker = new MemoryBroker(clock);
    const journal = new DeliveryJournal();
    const builder = setup instanceof TestingModuleBuilder ? setup : Test.createTestingModule(setup);
    builder
      .overrideProvider(AmqpConnection)
      .useFactory({ factory: (options: ResolvedMessagingOptions) => new MemoryConnection(options, broker), inject: [MESSAGING_OPTIONS] })
      .overrideProvider(SendStep)
      .useValue(new MemorySendStep(broker))
      // The harness relays, in step with the deliveries: no loop polling on real time.
      .overrideProvider(OUTBOX_OPTIONS)
      .useValue(resolveOutboxOptions({ relay: false }));
    const moduleRef = await builder.compile();
    const options = moduleRef.get<ResolvedMessagingOptions>(MESSAGING_OPTIONS, { strict: false });
    const names = moduleRef.get(TopologyNames, { strict: false });
    broker.configure(names);
    const trust = headerTrustFor(options.queueType, names, moduleRef.get(AmqpConnection, { strict: false }).semantics);
    moduleRef
      .get(ConsumerSupervisor, { strict: false })
      .useConsumerFactory((handler, pipeline, deps) => new MemoryConsumer(handler, pipeline, broker, trust, journal, deps.delays));
    const app = moduleRef.createNestApplication();
    const transport = optional(moduleRef, MessagingTransport);
    if (transport) app.connectMicroservice({ strategy: transport }, { inheritAppConfig: true });
    await app.init();
    if (transport) await app.startAllMicroservices();
    return new MessagingHarness(app, broker, journal, optional(moduleRef, OutboxRelay));
  }

  /** A provider of the application. */
  get<T>(token: Type<T> | string | symbol): T {
    return this.app.get<T>(token, { strict: false });
  }

  /** Virtual milliseconds since the harness started. */
  get now(): number {
    return this.broker.clock.now;
  }

  /** Publishes through the application's MessagePublisher: validated (rejects with MessageValidationError), enveloped, correlated. */
  publish<T extends object>(type: MessageClass<T>, data: MessageData<T> | T, options?: PublishOptions): Promise<PublishReceipt> {
    return this.get(MessagePublisher).publish(type, data, options);
  }

  /** Puts bytes on the events exchange as they are, past the publisher's checks: for poison input. */
  publishRaw(raw: RawPublication): Promise<void> {
    const content = Buffer.isBuffer(raw.body) ? raw.body : Buffer.from(typeof raw.body === 'string' ? raw.body : JSON.stringify(raw.body));
    this.broker.publish(this.broker.topologyNames.eventsExchange, raw.type, content, {
      type: raw.type,
      messageId: randomUUID(),
      contentType: 'application/json',
      timestamp: Math.floor(Date.now() / 1000),
      ...raw.properties,
    });
    return Promise.resolve();
  }

  /** Resolves once nothing is left to do at this virtual time: deliveries run, outbox rows relayed, their deliveries run. */
  async idle(): Promise<void> {
    for (let round = 0; round < MAX_SETTLE_ROUNDS; round++) {
      await this.broker.settled();
      // The test's own code may have written rows (a service's transaction): the first round always looks; later
      // rounds only when deliveries ran since, as only their handlers can have written more.
      const handled = this.journal.deliveries.length;
      if (this.relay && (round === 0 || handled !== this.relayedAfter)) {
        this.relayedAfter = handled;
        if ((await this.relay.relayOnce()) > 0) continue;
      }
      if (!this.broker.busy) return;
    }
    throw new Error(`The application did not settle within ${MAX_SETTLE_ROUNDS} rounds (a handler publishing to itself forever?)`);
  }

  /** Moves the virtual clock by `ms`: retries and deferrals falling due meanwhile are delivered, in order, and run. */
  async advanceTime(ms: number): Promise<void> {
    const { clock } = this.broker;
    const target = clock.now + ms;
    await this.idle();
    for (let next = clock.nextDue(); next !== undefined && next <= target; next = clock.nextDue()) {
      clock.moveTo(next);
      await this.idle();
    }
    clock.moveTo(target);
  }

  /** Moves the virtual clock on until no retry waits any more (at most `limitMs`): every message reaches its end. */
  async advanceUntilSettled(limitMs = 7 * 24 * 3600 * 1000): Promise<void> {
    const { clock } = this.broker;
    const limit = clock.now + limitMs;
    await this.idle();
    for (let next = clock.nextDue(); next !== undefined && next <= limit; next = clock.nextDue()) {
      clock.moveTo(next);
      await this.idle();
    }
  }

  /**
   * The first delivery of `type` that a handler finished successfully (acked, not a skipped duplicate), matching
   * `predicate` if given. Fails, listing every delivery seen and every retry still waiting, when there is none.
   */
  async consumed<T extends object>(type: MessageClass<T>, predicate?: Predicate<T, HandledDelivery<T>>): Promise<HandledDelivery<T>> {
    await this.idle();
    const found = this.deliveriesOf<T>(type).find(
      (delivery) => delivery.outcome === 'acked' && (!predicate || predicate(delivery.message as T, delivery)),
    );
    if (found) return found;
    throw new Error(`No ${type.messageType} was consumed${predicate ? ' that matches the predicate' : ''}. Seen:\n${this.seen()}`);
  }

  /** Every delivery of `type` to a handler, in order: each attempt with its outcome. */
  async attempts<T extends object>(
    type: MessageClass<T>,
    predicate?: Predicate<T | undefined, HandledDelivery<T>>,
  ): Promise<HandledDelivery<T>[]> {
    await this.idle();
    return this.deliveriesOf<T>(type).filter((delivery) => !predicate || predicate(delivery.message, delivery));
  }

  /** The messages of `type` published so far (fault events and relayed outbox rows included), in order. */
  async published<T extends object>(type: MessageClass<T>, predicate?: Predicate<T, PublishedMessage<T>>): Promise<PublishedMessage<T>[]> {
    await this.idle();
    return this.broker.published
      .filter((message) => message.properties.type === type.messageType)
      .map((message) => publishedOf<T>(message))
      .filter((message) => !predicate || predicate(message.body, message));
  }

  /** The dead-letter copies of messages of `type` (of any type without one: poison may have none), in order. */
  async deadLettered<T extends object>(
    type?: MessageClass<T>,
    predicate?: Predicate<T | undefined, DeadLetter<T>>,
  ): Promise<DeadLetter<T>[]> {
    await this.idle();
    return this.broker.deadLetters
      .filter((message) => !type || message.properties.type === type.messageType)
      .map((message) => deadLetterOf<T>(message))
      .filter((letter) => !predicate || predicate(letter.body, letter));
  }

  /** The retry and deferral copies of messages of `type`, in order (those still waiting and those delivered). */
  async retried(type: MessageClass): Promise<RetriedCopy[]> {
    await this.idle();
    return this.broker.delayed
      .filter((copy) => copy.message.properties.type === type.messageType)
      .map((copy) => ({
        queue: copy.queue,
        messageId: String(copy.message.properties.messageId),
        attempts: Number(copy.message.properties.headers?.[MessageHeaders.attempts] ?? 0),
        delayMs: copy.delayMs,
        dueAt: copy.dueAt,
      }));
  }

  /** Every delivery so far, and the copies still waiting, one line each: what an assertion message can show. */
  seen(): string {
    const waiting = this.broker.delayed.filter((copy) => copy.dueAt > this.now);
    return describeSeen(this.journal.deliveries, waiting, this.now);
  }

  /** Stops the application (consumers drain, as at a real shutdown). */
  async close(): Promise<void> {
    await this.app.close();
  }

  private deliveriesOf<T>(type: MessageClass): HandledDelivery<T>[] {
    return this.journal.deliveries.filter((delivery) => delivery.messageType === type.messageType) as HandledDelivery<T>[];
  }
}

function optional<T>(moduleRef: TestingModule, token: Type<T>): T | undefined {
  try {
    return moduleRef.get(token, { strict: false });
  } catch {
    return undefined;
  }
}

function json(content: Buffer): unknown {
  try {
    return JSON.parse(content.toString('utf8'));
  } catch {
    return undefined;
  }
}

function publishedOf<T>(message: BrokerMessage): PublishedMessage<T> {
  const headers = message.properties.headers ?? {};
  const causation: unknown = headers[MessageHeaders.causationId];
  return {
    body: json(message.content) as T,
    messageId: String(message.properties.messageId),
    type: String(message.properties.type),
    correlationId: String(headers[MessageHeaders.correlationId] ?? message.properties.correlationId),
    causationId: typeof causation === 'string' ? causation : undefined,
    headers,
    properties: message.properties,
    at: message.at,
  };
}

function deadLetterOf<T>(message: BrokerMessage): DeadLetter<T> {
  const headers = message.properties.headers ?? {};
  return {
    body: json(message.content) as T | undefined,
    content: message.content,
    queue: message.routingKey,
    messageId: String(message.properties.messageId),
    errorType: String(headers[MessageHeaders.errorType]),
    errorMessage: String(headers[MessageHeaders.errorMessage]),
    headers,
    properties: message.properties,
  };
}
