// Integration: retries through the delay ladder, dead-lettering with reasons, poison input, faults, crash-loop guard.
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { ChannelModel, ConsumeMessage } from 'amqplib';
import { IsString } from 'class-validator';
import {
  Fault,
  faultOf,
  MessageContext,
  MessageHandler,
  ConsumerSupervisor,
  MessagePublisher,
  MessagingModule,
  PermanentError,
  Retryable,
  TransientError,
} from '@app/messaging';
import { closeConnectionsNamed, createTestVhost, eventually, getOne, type TestVhost } from '../../../test/support/test-broker';

class JobQueued {
  static readonly messageType = 'job.queued';
  static readonly schemaVersion = 1;
  @IsString() id!: string;
  /** What the handler should do: "ok", "transient-N" (fail N times), "permanent", "hang". */
  @IsString() behaviour!: string;
}

@Injectable()
class JobHandler {
  readonly attempts = new Map<string, number[]>();
  readonly attemptNumbers = new Map<string, number[]>();
  readonly done = new Set<string>();

  @MessageHandler(JobQueued)
  @Retryable({ maxAttempts: 3, backoff: { initialMs: 1000, factor: 2, jitter: 'none' } })
  async onJob(job: JobQueued, context: MessageContext): Promise<void> {
    const times = this.attempts.get(job.id) ?? [];
    times.push(Date.now());
    this.attempts.set(job.id, times);
    this.attemptNumbers.set(job.id, [...(this.attemptNumbers.get(job.id) ?? []), context.attempt]);
    if (job.behaviour === 'hang') return new Promise(() => undefined);
    if (job.behaviour === 'permanent') throw new PermanentError(`job ${job.id} can never work`);
    const transient = /^transient-(\d+)$/.exec(job.behaviour);
    if (transient && times.length <= Number(transient[1])) throw new TransientError(`job ${job.id} failed for now`);
    this.done.add(job.id);
  }
}

@Injectable()
class FaultListener {
  readonly faults: Fault[] = [];

  @MessageHandler(faultOf(JobQueued))
  onFault(fault: Fault): void {
    this.faults.push(fault);
  }
}

const QUEUE = 'jobs.job.queued';
const DLQ = `${QUEUE}.dlq`;

describe('retries and dead letters', () => {
  let vhost: TestVhost;
  let app: INestApplication;
  let handler: JobHandler;
  let publisher: MessagePublisher;
  let observer: ChannelModel;

  beforeAll(async () => {
    vhost = await createTestVhost('retry');
    const moduleRef = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({
          url: vhost.url,
          serviceName: 'jobs',
          delay: 'auto',
          maxMessageBytes: 4096,
          maxRedeliveries: 2,
          reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
          shutdownTimeoutMs: 500,
        }),
      ],
      providers: [JobHandler, FaultListener],
    }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
    await app.get(ConsumerSupervisor).waitUntilReady();
    handler = app.get(JobHandler);
    publisher = app.get(MessagePublisher);
    observer = await vhost.connect();
  });

  afterAll(async () => {
    await observer?.close();
    await app?.close();
    await vhost?.delete();
  });

  /** Dead letters taken from the queue but not asked for yet: they come in the order handlers finish, not published. */
  const deadLetters = new Map<string, ConsumeMessage>();

  async function deadLetterOf(messageId: string): Promise<ConsumeMessage> {
    return deadLetterWhere((message) => message.properties.messageId === messageId);
  }

  async function deadLetterWhere(matches: (message: ConsumeMessage) => boolean): Promise<ConsumeMessage> {
    for (;;) {
      const seen = [...deadLetters.values()].find(matches);
      if (seen) return seen;
      const message = await getOne(observer, DLQ, 15_000);
      deadLetters.set(String(message.properties.messageId ?? `(no id) ${deadLetters.size}`), message);
    }
  }

  it('falls back to the plugin-free delay ladder when the broker has no delay plugin', () => {
    expect(app.get(ConsumerSupervisor).delayMechanism).toBe('ladder');
  });

  it('retries a transient failure with the configured backoff and succeeds on the third attempt', async () => {
    const { messageId } = await publisher.publish(JobQueued, { id: 't2', behaviour: 'transient-2' });
    await eventually(() => handler.done.has('t2'), 't2 done', 15_000);
    const times = handler.attempts.get('t2')!;
    expect(handler.attemptNumbers.get('t2')).toEqual([1, 2, 3]);
    const gaps = [times[1] - times[0], times[2] - times[1]];
    expect(gaps[0]).toBeGreaterThanOrEqual(1000);
    expect(gaps[0]).toBeLessThan(2000);
    expect(gaps[1]).toBeGreaterThanOrEqual(2000);
    expect(gaps[1]).toBeLessThan(3000);
    expect(messageId).toBeTruthy();
  });

  it('dead-letters a permanent error after one attempt, with every failure header, and publishes a fault', async () => {
    const { messageId, correlationId } = await publisher.publish(JobQueued, { id: 'p1', behaviour: 'permanent' });
    const dead = await deadLetterOf(messageId);
    expect(handler.attempts.get('p1')).toHaveLength(1);
    const h = dead.properties.headers!;
    expect(JSON.parse(dead.content.toString())).toEqual({ id: 'p1', behaviour: 'permanent' });
    expect(dead.properties.type).toBe('job.queued');
    expect(h['x-error-type']).toBe('permanent');
    expect(h['x-error-message']).toBe('job p1 can never work');
    expect(String(h['x-error-stack'])).toContain('PermanentError');
    expect(h['x-attempts']).toBe(1);
    expect(Date.parse(String(h['x-first-failed-at']))).not.toBeNaN();
    expect(Date.parse(String(h['x-last-failed-at']))).not.toBeNaN();
    expect(h['x-original-exchange']).toBe('domain.events');
    expect(h['x-original-routing-key']).toBe('job.queued');
    expect(h['x-original-queue']).toBe(QUEUE);
    expect(h['x-handler']).toBe('JobHandler.onJob');
    expect(h['x-correlation-id']).toBe(correlationId);

    const listener = app.get(FaultListener);
    await eventually(() => listener.faults.some((f) => f.messageId === messageId), 'fault event received');
    const fault = listener.faults.find((f) => f.messageId === messageId)!;
    expect(fault).toMatchObject({ messageType: 'job.queued', errorType: 'permanent', correlationId, queue: QUEUE, attempts: 1 });
    expect(fault.message).toEqual({ id: 'p1', behaviour: 'permanent' });
  });

  it('dead-letters a message whose attempts are used up, as exhausted, keeping id and correlation', async () => {
    const { messageId, correlationId } = await publisher.publish(JobQueued, { id: 't9', behaviour: 'transient-9' });
    const dead = await deadLetterOf(messageId);
    expect(handler.attempts.get('t9')).toHaveLength(3);
    expect(dead.properties.headers!['x-error-type']).toBe('exhausted');
    expect(dead.properties.headers!['x-attempts']).toBe(3);
    expect(dead.properties.headers!['x-correlation-id']).toBe(correlationId);
    expect(dead.properties.headers!['x-original-exchange']).toBe('domain.events');
  });

  it('dead-letters each kind of poison input on its first delivery while good messages keep flowing', async () => {
    const channel = await observer.createConfirmChannel();
    const poison: Array<[string, Buffer, Record<string, unknown>, RegExp]> = [
      ['not-json', Buffer.from('{oops'), { contentType: 'application/json' }, /not valid JSON/],
      ['wrong-type', Buffer.from('<job/>'), { contentType: 'application/xml' }, /content type/],
      [
        'too-big',
        Buffer.from(JSON.stringify({ id: 'x', behaviour: 'x'.repeat(5000) })),
        { contentType: 'application/json' },
        /exceeds the limit/,
      ],
      ['invalid', Buffer.from(JSON.stringify({ id: 7 })), { contentType: 'application/json' }, /id must be a string/],
      ['unknown-type', Buffer.from('{}'), { contentType: 'application/json', type: 'job.cancelled' }, /Unknown message type/],
      [
        'newer-schema',
        Buffer.from(JSON.stringify({ id: 'n', behaviour: 'ok' })),
        { contentType: 'application/json', headers: { 'x-schema-version': 2 } },
        /newer than the 1/,
      ],
    ];
    for (const [id, body, props] of poison) {
      channel.publish('domain.events', 'job.queued', body, { messageId: id, type: 'job.queued', ...props });
      await publisher.publish(JobQueued, { id: `good-after-${id}`, behaviour: 'ok' });
    }
    await channel.waitForConfirms();
    for (const [id, body, , reason] of poison) {
      const dead = await deadLetterOf(id);
      expect(dead.content.equals(body)).toBe(true);
      expect(dead.properties.headers!['x-error-type']).toBe('validation');
      expect(String(dead.properties.headers!['x-error-message'])).toMatch(reason);
    }
    await eventually(() => poison.every(([id]) => handler.done.has(`good-after-${id}`)), 'good messages handled');
    await channel.close();
  });

  it('dead-letters a message without an id, or with headers of the library no owner would write, once each, with the reason and a fault', async () => {
    const channel = await observer.createConfirmChannel();
    const body = (id: string) => Buffer.from(JSON.stringify({ id, behaviour: 'ok' }));
    const poison: Array<[string, Record<string, unknown>, RegExp]> = [
      ['no-id', { messageId: undefined, correlationId: 'no-id' }, /Message has no message id/],
      ['version-abc', { headers: { 'x-schema-version': 'abc' } }, /header x-schema-version is "abc", not a schema version/],
      ['version-minus-1', { headers: { 'x-schema-version': -1 } }, /header x-schema-version is -1/],
      ['attempts-garbage', { headers: { 'x-attempts': 'many' } }, /header x-attempts is "many"/],
      ['count-negative', { headers: { 'x-delivery-count': -4 } }, /header x-delivery-count is -4/],
    ];
    for (const [id, props] of poison)
      channel.publish('domain.events', 'job.queued', body(id), { messageId: id, type: 'job.queued', ...props });
    // Well-formed values a publisher set: neither believed as counters nor poison. A first delivery, not a crash loop.
    channel.publish('domain.events', 'job.queued', body('forged-count'), {
      messageId: 'forged-count',
      headers: { 'x-delivery-count': 999 },
    });
    channel.publish('domain.events', 'job.queued', body('forged-attempts'), { messageId: 'forged-attempts', headers: { 'x-attempts': 2 } });
    await channel.waitForConfirms();

    const listener = app.get(FaultListener);
    for (const [id, , reason] of poison) {
      const dead = id === 'no-id' ? await deadLetterWhere((m) => m.properties.correlationId === 'no-id') : await deadLetterOf(id);
      expect(dead.properties.headers!['x-error-type']).toBe('validation');
      expect(String(dead.properties.headers!['x-error-message'])).toMatch(reason);
      await eventually(() => listener.faults.some((f) => f.correlationId === id), `fault of ${id}`);
    }
    await eventually(() => handler.done.has('forged-count') && handler.done.has('forged-attempts'), 'forged headers handled');
    expect(handler.attemptNumbers.get('forged-attempts')).toEqual([1]);
    await channel.close();
  });

  it('dead-letters a message that the broker keeps redelivering because its consumer dies mid-handling', async () => {
    const { messageId } = await publisher.publish(JobQueued, { id: 'crash', behaviour: 'hang' });
    // Each cut drops the unacked delivery; the quorum queue counts the redeliveries (x-delivery-count).
    for (let cut = 1; cut <= 3; cut++) {
      await eventually(() => (handler.attempts.get('crash')?.length ?? 0) >= cut, `delivery ${cut} of the hanging job`, 15_000);
      await closeConnectionsNamed(vhost.name, 'jobs');
    }
    const dead = await deadLetterOf(messageId);
    expect(dead.properties.headers!['x-error-type']).toBe('redelivery-limit');
    // Broker redeliveries are not retries: every delivery was attempt 1.
    expect(handler.attemptNumbers.get('crash')).toEqual([1, 1, 1]);
  });
});
