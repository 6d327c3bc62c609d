// The two transports the fidelity suite runs on, behind one face: the harness's in-memory one (its virtual clock is
// moved on while a test waits) and the real RabbitMQ (a vhost of its own, a PostgreSQL database of its own; a test
// waits in real time). The suite's assertions do not know which one they talk to.
import type { INestApplication, ModuleMetadata, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { ChannelModel, ConsumeMessage, Options } from 'amqplib';
import {
  ConsumerSupervisor,
  MessagePublisher,
  TopologyNames,
  type MessageClass,
  type MessageData,
  type MessagingModuleOptions,
  type PublishOptions,
  type PublishReceipt,
} from '@app/messaging';
import type { DatabaseModuleOptions } from '@app/persistence';
import { MessagingHarness } from '@app/testing';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { createTestVhost, getOne, type TestVhost } from '../../../test/support/test-broker';

/** What the suite builds its application from: the driver says where the broker and the database are. */
export type AppFactory = (infrastructure: { messaging: MessagingModuleOptions; database: DatabaseModuleOptions }) => ModuleMetadata;

/** A dead-letter copy as a consumer of the dead-letter queue gets it. */
export interface ReceivedDeadLetter {
  content: Buffer;
  properties: ConsumeMessage['properties'];
}

export interface FidelityDriver {
  readonly name: string;
  start(app: AppFactory, serviceName: string): Promise<void>;
  get<T>(token: Type<T>): T;
  publish<T extends object>(type: MessageClass<T>, data: MessageData<T>, options?: PublishOptions): Promise<PublishReceipt>;
  /** Bytes straight onto the events exchange, past the publisher's checks. */
  publishRaw(routingKey: string, content: Buffer, properties: Options.Publish): Promise<void>;
  /** Lets time pass until `condition` holds, or fails naming `what`. */
  until(condition: () => boolean, what: string): Promise<void>;
  /** The dead-letter copy of `messageId` in `<queue>.dlq`. */
  deadLetter(queue: string, messageId: string): Promise<ReceivedDeadLetter>;
  /** The transport's clock in ms: virtual in memory, the wall clock on the broker. */
  now(): number;
  stop(): Promise<void>;
}

/** How far the in-memory clock may be moved while a test waits: longer than any retry of the suite. */
const VIRTUAL_PATIENCE_MS = 60_000;
const VIRTUAL_STEP_MS = 100;

export class InMemoryDriver implements FidelityDriver {
  readonly name = 'in-memory';
  private harness!: MessagingHarness;

  async start(app: AppFactory, serviceName: string): Promise<void> {
    this.harness = await MessagingHarness.create(app({ messaging: { serviceName }, database: { inMemory: true } }));
  }

  get<T>(token: Type<T>): T {
    return this.harness.get(token);
  }

  publish<T extends object>(type: MessageClass<T>, data: MessageData<T>, options?: PublishOptions): Promise<PublishReceipt> {
    return this.harness.publish(type, data, options);
  }

  publishRaw(routingKey: string, content: Buffer, properties: Options.Publish): Promise<void> {
    return this.harness.publishRaw({
      type: routingKey,
      body: content,
      properties: { type: undefined, timestamp: undefined, contentType: undefined, ...properties },
    });
  }

  async until(condition: () => boolean, what: string): Promise<void> {
    const start = this.harness.now;
    for (;;) {
      await this.harness.idle();
      if (condition()) return;
      if (this.harness.now - start >= VIRTUAL_PATIENCE_MS) {
        throw new Error(`Not seen within ${VIRTUAL_PATIENCE_MS} virtual ms: ${what}. Seen:\n${this.harness.seen()}`);
      }
      await this.harness.advanceTime(VIRTUAL_STEP_MS);
    }
  }

  async deadLetter(queue: string, messageId: string): Promise<ReceivedDeadLetter> {
    const start = this.harness.now;
    for (;;) {
      const [letter] = await this.harness.deadLettered(
        undefined,
        (_, copy) => copy.queue === `${queue}.dlq` && copy.messageId === messageId,
      );
      if (letter) return { content: letter.content, properties: letter.properties };
      if (this.harness.now - start >= VIRTUAL_PATIENCE_MS) {
        throw new Error(
          `No dead letter of ${messageId} in ${queue}.dlq within ${VIRTUAL_PATIENCE_MS} virtual ms. Seen:\n${this.harness.seen()}`,
        );
      }
      await this.harness.advanceTime(VIRTUAL_STEP_MS);
    }
  }

  now(): number {
    return this.harness.now;
  }

  async stop(): Promise<void> {
    await this.harness?.close();
  }
}

export class RabbitMqDriver implements FidelityDriver {
  readonly name = 'rabbitmq';
  private vhost?: TestVhost;
  private database?: TestDatabase;
  private app?: INestApplication;
  private observer?: ChannelModel;
  /** Dead letters taken from their queues, not asked for yet (they come in the order handlers finish). */
  private readonly deadLetters: Array<{ queue: string; message: ConsumeMessage }> = [];

  async start(app: AppFactory, serviceName: string): Promise<void> {
    [this.vhost, this.database] = await Promise.all([createTestVhost('fidelity'), createTestDatabase('fidelity')]);
    const moduleRef = await Test.createTestingModule(
      app({
        messaging: { serviceName, url: this.vhost.url, shutdownTimeoutMs: 1000, reconnect: { initialDelayMs: 50, maxDelayMs: 200 } },
        database: { url: this.database.url, outbox: { pollIntervalMs: 20 } },
      }),
    ).compile();
    this.app = moduleRef.createNestApplication();
    await this.app.init();
    await this.app.get(ConsumerSupervisor).waitUntilReady();
    this.observer = await this.vhost.connect();
  }

  get<T>(token: Type<T>): T {
    return this.app!.get(token, { strict: false });
  }

  publish<T extends object>(type: MessageClass<T>, data: MessageData<T>, options?: PublishOptions): Promise<PublishReceipt> {
    return this.get(MessagePublisher).publish(type, data, options);
  }

  async publishRaw(routingKey: string, content: Buffer, properties: Options.Publish): Promise<void> {
    const channel = await this.observer!.createConfirmChannel();
    try {
      channel.publish(this.get(TopologyNames).eventsExchange, routingKey, content, properties);
      await channel.waitForConfirms();
    } finally {
      await channel.close();
    }
  }

  async until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`Not seen within ${timeoutMs} ms: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async deadLetter(queue: string, messageId: string): Promise<ReceivedDeadLetter> {
    const dlq = `${queue}.dlq`;
    for (;;) {
      const index = this.deadLetters.findIndex((entry) => entry.queue === dlq && entry.message.properties.messageId === messageId);
      if (index >= 0) return this.deadLetters.splice(index, 1)[0].message;
      this.deadLetters.push({ queue: dlq, message: await getOne(this.observer!, dlq, 20_000) });
    }
  }

  now(): number {
    return Date.now();
  }

  async stop(): Promise<void> {
    await this.observer?.close().catch(() => undefined);
    await this.app?.close();
    await Promise.all([this.vhost?.delete(), this.database?.drop()]);
  }
}

/** Both transports: the suite runs, unchanged, on each. */
export const FIDELITY_DRIVERS: ReadonlyArray<() => FidelityDriver> = [() => new InMemoryDriver(), () => new RabbitMqDriver()];
