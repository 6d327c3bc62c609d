// Integration: a consumer process dies after its inbox transaction committed but before the ack. The broker redelivers
// the message to the next consumer, whose inbox finds the mark and skips it: one business row, however it crashed.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import amqplib from 'amqplib';
import { Client } from 'pg';
import { ConsumerSupervisor } from '@app/messaging';
import { buildOutgoingMessage } from '@app/messaging/publishing/outgoing-message';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { createTestVhost, eventually, type TestVhost } from '../../../test/support/test-broker';
import {
  COMMITTED_LINE,
  DeliveryLog,
  PAYMENTS_QUEUE,
  PAYMENTS_TABLE_DDL,
  PaymentCaptured,
  PaymentHandler,
  paymentsModule,
} from './fixtures/inbox-crash-handler';

const ROOT = resolve(__dirname, '../../..');
const CHILD = 'libs/persistence/test/fixtures/inbox-crash-child.ts';

/** A child process whose stdout lines can be awaited. */
class ChildConsumer {
  private readonly lines: string[] = [];
  private stderr = '';
  private readonly exited: Promise<void>;

  constructor(readonly process: ChildProcess) {
    let partial = '';
    process.stdout?.on('data', (chunk: Buffer) => {
      partial += chunk.toString('utf8');
      const complete = partial.split('\n');
      partial = complete.pop() ?? '';
      this.lines.push(...complete.map((line) => line.trim()));
    });
    process.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-4000);
    });
    this.exited = new Promise((done) => process.once('exit', () => done()));
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  async waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const line of this.lines) {
        const match = pattern.exec(line);
        if (match) return match;
      }
      if (!this.running) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`Child did not print ${pattern} (running: ${this.running}); stderr:\n${this.stderr}`);
  }

  /** SIGKILL: no shutdown hook runs, no ack is sent. Resolves once the process is gone (bounded). */
  async kill(): Promise<void> {
    if (this.running) this.process.kill('SIGKILL');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise((resolve) => (timer = setTimeout(resolve, 5000)))]);
    clearTimeout(timer);
  }
}

describe('inbox across a consumer crash', () => {
  let vhost: TestVhost;
  let testDb: TestDatabase;
  let child: ChildConsumer | undefined;
  let app: INestApplication | undefined;

  beforeAll(async () => {
    vhost = await createTestVhost('inbox-crash');
    testDb = await createTestDatabase('inbox_crash');
    await query(PAYMENTS_TABLE_DDL);
  });

  afterAll(async () => {
    await child?.kill();
    await app?.close();
    await vhost?.delete();
    await testDb?.drop();
  });

  async function query<T>(text: string): Promise<T[]> {
    const client = new Client({ connectionString: testDb.url });
    await client.connect();
    try {
      return (await client.query(text)).rows as T[];
    } finally {
      await client.end();
    }
  }

  async function businessRows(): Promise<Array<{ payment_id: string; message_id: string }>> {
    return query('select payment_id, message_id from captured_payments');
  }

  async function publishPayment(paymentId: string): Promise<string> {
    const outgoing = buildOutgoingMessage(PaymentCaptured, { paymentId }, 'domain.events', 'inbox-crash-test');
    const connection = await amqplib.connect(vhost.url);
    try {
      const channel = await connection.createConfirmChannel();
      channel.publish(outgoing.exchange, outgoing.routingKey, outgoing.content, outgoing.properties);
      await channel.waitForConfirms();
    } finally {
      await connection.close();
    }
    return outgoing.properties.messageId;
  }

  async function readyMessages(): Promise<number> {
    const connection = await amqplib.connect(vhost.url);
    try {
      const channel = await connection.createChannel();
      return (await channel.checkQueue(PAYMENTS_QUEUE)).messageCount;
    } finally {
      await connection.close();
    }
  }

  it('skips the redelivery of a message whose inbox transaction committed before the consumer was killed', async () => {
    child = new ChildConsumer(
      spawn(process.execPath, ['-r', './test/support/register-ts.js', CHILD], {
        cwd: ROOT,
        env: { ...process.env, AMQP_URL: vhost.url, DATABASE_URL: testDb.url },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    // Generous: the child transpiles the library on start, which a loaded machine makes slow.
    await child.waitForLine(/^READY$/, 60_000);

    const messageId = await publishPayment('pay-1');
    const [, committedId] = await child.waitForLine(COMMITTED_LINE, 20_000);
    expect(committedId).toBe(messageId);
    // The effect and the inbox mark are in the database; the delivery is still unacked in the dead process-to-be.
    expect(await businessRows()).toEqual([{ payment_id: 'pay-1', message_id: messageId }]);
    expect(await query(`select message_id from inbox where consumer = '${PAYMENTS_QUEUE}'`)).toEqual([{ message_id: messageId }]);

    await child.kill();
    expect(child.running).toBe(false);

    const moduleRef = await Test.createTestingModule(
      paymentsModule({ amqpUrl: vhost.url, databaseUrl: testDb.url!, hangAfterCommit: false }),
    ).compile();
    app = moduleRef.createNestApplication();
    await app.init();
    await app.get(ConsumerSupervisor).waitUntilReady();
    const log = app.get(DeliveryLog);

    await eventually(() => log.deliveries.some((delivery) => delivery.messageId === messageId), 'the redelivery of the message');
    await eventually(
      () => log.deliveries.some((delivery) => delivery.messageId === messageId && delivery.duplicate === true),
      'the redelivery skipped as a duplicate',
    );
    const redelivery = log.deliveries.find((delivery) => delivery.messageId === messageId)!;
    expect(redelivery.redeliveries).toBeGreaterThanOrEqual(1);
    expect(app.get(PaymentHandler).bodyRuns).toBe(0);
    expect(await businessRows()).toHaveLength(1);

    // The duplicate was acked: once the consumer has closed, nothing is left in the queue to come back.
    await app.close();
    app = undefined;
    expect(await readyMessages()).toBe(0);
    expect(log.deliveries.filter((delivery) => delivery.messageId === messageId)).toHaveLength(1);
  }, 120_000);
});
