// Integration: request/reply of the Nest microservices transport under bad conditions, against RabbitMQ. A requester and
// a responder, each an application with its own connection: replies arrive; no responder or a slow one ends in a timeout
// and leaves nothing behind; 1,000 requests at once each get their own reply; an invalid request gets a validation
// error; a dropped connection fails the requests in flight at once, and requests work again once it is back.
import { Controller, type INestApplication } from '@nestjs/common';
import { MessagePattern, Payload, RpcException, type ClientProxy, type MicroserviceOptions } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { IsInt, IsString, Min } from 'class-validator';
import { firstValueFrom } from 'rxjs';
import {
  ConsumerSupervisor,
  MessagingClient,
  MessagingClientsModule,
  MessagingModule,
  MessagingTransport,
  MessagingTransportModule,
  RequestFailedError,
  RequestTimeoutError,
} from '@app/messaging';
import { closeConnectionsNamed, createTestVhost, eventually, getOne, type TestVhost } from '../../../test/support/test-broker';
import { DEADLINE_GRACE_MS } from '../src/consuming/steps/reply.step';

class DoubleRequested {
  static readonly messageType = 'double.requested';
  static readonly schemaVersion = 1;
  @IsInt() n!: number;
}

class SlowRequested {
  static readonly messageType = 'slow.requested';
  static readonly schemaVersion = 1;
  @IsInt() @Min(0) delayMs!: number;
  @IsString() tag!: string;
}

/** Handled one at a time (prefetch 1): a request waits in the queue behind the one in its handler. */
class QueuedRequested {
  static readonly messageType = 'queued.requested';
  static readonly schemaVersion = 1;
  @IsString() tag!: string;
}

/** Nobody answers this one: no queue is bound to its type. */
class UnansweredRequested {
  static readonly messageType = 'unanswered.requested';
  static readonly schemaVersion = 1;
  @IsString() question!: string;
}

@Controller()
class AnswersController {
  readonly slowStarted: string[] = [];
  readonly slowFinished: string[] = [];
  /** Tags whose handling waits until the test lets it go (a fixed delay would race rabbitmqctl on a busy machine). */
  private readonly gates = new Map<string, { open: Promise<void>; release: () => void }>();

  hold(tag: string): () => void {
    let release!: () => void;
    const open = new Promise<void>((resolve) => (release = resolve));
    this.gates.set(tag, { open, release });
    return release;
  }

  @MessagePattern(DoubleRequested, { prefetch: 50 })
  double(@Payload('n') n: number): { n: number; doubled: number } {
    return { n, doubled: n * 2 };
  }

  @MessagePattern(QueuedRequested, { prefetch: 1 })
  async queued(@Payload('tag') tag: string): Promise<string> {
    this.slowStarted.push(tag);
    await this.gates.get(tag)?.open;
    return `done ${tag}`;
  }

  @MessagePattern(SlowRequested, { prefetch: 50 })
  async slow(@Payload() request: SlowRequested): Promise<string> {
    this.slowStarted.push(request.tag);
    await new Promise((resolve) => setTimeout(resolve, request.delayMs));
    await this.gates.get(request.tag)?.open;
    this.slowFinished.push(request.tag);
    return `done ${request.tag}`;
  }
}

const settings = {
  queueType: 'classic',
  delay: 'ladder',
  shutdownTimeoutMs: 500,
  reconnect: { initialDelayMs: 100, maxDelayMs: 500 },
} as const;

/** Timers of the process: a request that has ended keeps none. */
function timers(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
}

describe('Request/reply under bad conditions', () => {
  let vhost: TestVhost;
  let responder: INestApplication;
  let requester: INestApplication;
  let answers: AnswersController;
  let client: ClientProxy;
  let quick: ClientProxy;

  beforeAll(async () => {
    vhost = await createTestVhost('request-reply');
    const responderModule = await Test.createTestingModule({
      imports: [MessagingModule.forRoot({ url: vhost.url, serviceName: 'answerer', ...settings }), MessagingTransportModule.forRoot()],
      controllers: [AnswersController],
    }).compile();
    responder = responderModule.createNestApplication();
    responder.connectMicroservice<MicroserviceOptions>({ strategy: responder.get(MessagingTransport) });
    await responder.startAllMicroservices();
    await responder.init();
    await responder.get(ConsumerSupervisor).waitUntilReady();
    answers = responder.get(AnswersController);

    const requesterModule = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({ url: vhost.url, serviceName: 'asker', ...settings }),
        MessagingTransportModule.forRoot({ requestTimeoutMs: 10_000 }),
        MessagingClientsModule.register([{ name: 'ANSWERS' }, { name: 'ANSWERS_QUICK', timeoutMs: 300 }]),
      ],
    }).compile();
    requester = requesterModule.createNestApplication();
    await requester.init();
    client = requester.get<ClientProxy>('ANSWERS');
    quick = requester.get<ClientProxy>('ANSWERS_QUICK');
    await client.connect();
    await quick.connect();
  });

  afterAll(async () => {
    await requester?.close();
    await responder?.close();
    await vhost?.delete();
  });

  const inFlight = (proxy: ClientProxy): number => (proxy as MessagingClient).requestsInFlight;

  it('gets the reply of its request', async () => {
    await expect(firstValueFrom(client.send(DoubleRequested, { n: 21 }))).resolves.toEqual({ n: 21, doubled: 42 });
    expect(inFlight(client)).toBe(0);
  });

  it('times out a request nobody answers, and keeps no entry and no timer for it', async () => {
    const before = timers();
    const started = Date.now();
    const failures = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        firstValueFrom(quick.send(UnansweredRequested, { question: `q-${index}` })).catch((error: unknown) => error),
      ),
    );
    const elapsed = Date.now() - started;
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(RequestTimeoutError);
      expect((failure as RequestTimeoutError).message).toBe('No reply to unanswered.requested within 300 ms');
    }
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(3000);
    expect(inFlight(quick)).toBe(0);
    expect(timers()).toBeLessThanOrEqual(before);
  });

  it('times out a request whose responder is too slow; its late reply is dropped, and the next request is answered', async () => {
    const failure = await firstValueFrom(quick.send(SlowRequested, { delayMs: 800, tag: 'late' })).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RequestTimeoutError);
    expect(inFlight(quick)).toBe(0);
    await eventually(() => answers.slowFinished.includes('late'), 'the slow handler finished and replied late');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(inFlight(quick)).toBe(0);
    await expect(firstValueFrom(quick.send(DoubleRequested, { n: 4 }))).resolves.toEqual({ n: 4, doubled: 8 });
  });

  it('skips the handler of a request that reaches it after its requester stopped waiting (x-request-deadline)', async () => {
    const release = answers.hold('first');
    const first = firstValueFrom(client.send(QueuedRequested, { tag: 'first' }));
    await eventually(() => answers.slowStarted.includes('first'), 'the first request in its handler');
    // Queued behind it, and given up on by its requester after 300 ms; it reaches the handler well past that.
    const expired = await firstValueFrom(quick.send(QueuedRequested, { tag: 'expired' })).catch((error: unknown) => error);
    expect(expired).toBeInstanceOf(RequestTimeoutError);
    await new Promise((resolve) => setTimeout(resolve, DEADLINE_GRACE_MS + 300));
    release();
    await expect(first).resolves.toBe('done first');

    // Behind the expired one in the same queue: once it is answered, the expired one has been taken and dropped.
    await expect(firstValueFrom(client.send(QueuedRequested, { tag: 'after' }))).resolves.toBe('done after');
    expect(answers.slowStarted.filter((tag) => ['first', 'expired', 'after'].includes(tag))).toEqual(['first', 'after']);
  });

  it('ends a request its caller gave up on (unsubscribed) without keeping anything', async () => {
    const subscription = client.send(SlowRequested, { delayMs: 300, tag: 'abandoned' }).subscribe({ error: () => undefined });
    await eventually(() => inFlight(client) === 1, 'the request is sent');
    subscription.unsubscribe();
    expect(inFlight(client)).toBe(0);
  });

  it('gives each of 1,000 concurrent requests its own reply', async () => {
    const count = 1000;
    const replies = await Promise.all(
      Array.from({ length: count }, (_, n) => firstValueFrom(client.send<{ n: number; doubled: number }>(DoubleRequested, { n }))),
    );
    replies.forEach((reply, n) => expect(reply).toEqual({ n, doubled: 2 * n }));
    expect(inFlight(client)).toBe(0);
  });

  it('answers a request that fails validation at the responder with a validation error reply, not a dead letter', async () => {
    const connection = await vhost.connect();
    try {
      const channel = await connection.createChannel();
      const replies: Array<{ correlationId: unknown; body: unknown }> = [];
      await channel.consume(
        'amq.rabbitmq.reply-to',
        (message) =>
          message && replies.push({ correlationId: message.properties.correlationId, body: JSON.parse(message.content.toString()) }),
        { noAck: true },
      );
      const send = (messageId: string, body: string) =>
        channel.publish('domain.events', 'double.requested', Buffer.from(body), {
          messageId,
          type: 'double.requested',
          contentType: 'application/json',
          replyTo: 'amq.rabbitmq.reply-to',
        });
      send('invalid-1', JSON.stringify({ n: 'forty-two' }));
      send('not-json-1', '{"n": ');
      await eventually(() => replies.length === 2, 'both answered');
      const invalid = replies.find((reply) => reply.correlationId === 'invalid-1')!;
      expect(invalid.body).toEqual({
        isDisposed: true,
        err: {
          status: 'error',
          errorType: 'validation',
          name: 'MessageValidationError',
          message: 'double.requested is invalid: n: n must be an integer number',
        },
      });
      const garbled = replies.find((reply) => reply.correlationId === 'not-json-1')!;
      expect(garbled.body).toMatchObject({ err: { errorType: 'validation', name: 'MessageDecodeError' } });
      const queues = await channel.checkQueue('answerer.double.requested.dlq');
      expect(queues.messageCount).toBe(0);
    } finally {
      await connection.close();
    }
  });

  it('dead-letters a request whose reply-to is not a direct reply-to address (a reply must not land in a named queue)', async () => {
    const connection = await vhost.connect();
    try {
      const channel = await connection.createConfirmChannel();
      channel.publish('domain.events', 'double.requested', Buffer.from(JSON.stringify({ n: 1 })), {
        messageId: 'hijack-1',
        type: 'double.requested',
        contentType: 'application/json',
        replyTo: 'answerer.slow.requested',
      });
      await channel.waitForConfirms();
      const dead = await getOne(connection, 'answerer.double.requested.dlq');
      expect(dead.properties.messageId).toBe('hijack-1');
      expect(dead.properties.headers?.['x-error-type']).toBe('validation');
      expect(String(dead.properties.headers?.['x-error-message'])).toMatch(/direct reply-to/);
    } finally {
      await connection.close();
    }
  });

  it("fails the requests in flight at once when the requester's connection drops, and answers requests again once it is back", async () => {
    // The responder holds them until the end, the requester waits up to 10 s: a failure within ~1 s of the drop is the
    // drop's doing.
    const releases = Array.from({ length: 20 }, (_, index) => answers.hold(`drop-${index}`));
    const pending = Array.from({ length: 20 }, (_, index) =>
      firstValueFrom(client.send(SlowRequested, { delayMs: 0, tag: `drop-${index}` })).then(
        () => ({ failure: undefined, at: Date.now() }),
        (error: unknown) => ({ failure: error, at: Date.now() }),
      ),
    );
    await eventually(() => inFlight(client) === 20, 'the requests are sent');
    expect(await closeConnectionsNamed(vhost.name, 'asker')).toBe(1);
    const dropped = Date.now();
    const ends = await Promise.all(pending);
    expect(Math.max(...ends.map((end) => end.at)) - dropped).toBeLessThan(1000);
    releases.forEach((release) => release());
    for (const { failure } of ends) {
      expect(failure).toBeInstanceOf(RequestFailedError);
      expect(failure).not.toBeInstanceOf(RpcException);
    }
    expect(inFlight(client)).toBe(0);
    // While the connection is away, a request fails at once rather than wait for its timeout.
    const during = await firstValueFrom(client.send(DoubleRequested, { n: 1 })).catch((error: unknown) => error);
    if (during instanceof Error) expect(during).toBeInstanceOf(RequestFailedError);
    await eventually(
      async () => (await firstValueFrom(client.send(DoubleRequested, { n: 5 })).catch(() => undefined)) !== undefined,
      'a request answered after the reconnect',
      15_000,
    );
    await expect(firstValueFrom(client.send(DoubleRequested, { n: 6 }))).resolves.toEqual({ n: 6, doubled: 12 });
  });

  it("answers a request whose responder's connection dropped while handling it (at least once: it is redelivered too)", async () => {
    // Held until its connection is closed: still running then, whatever time rabbitmqctl takes.
    const release = answers.hold('responder-drop');
    const reply = firstValueFrom(client.send(SlowRequested, { delayMs: 0, tag: 'responder-drop' }));
    await eventually(() => answers.slowStarted.includes('responder-drop'), 'the responder is handling it');
    expect(await closeConnectionsNamed(vhost.name, 'answerer')).toBe(1);
    release();
    await expect(reply).resolves.toBe('done responder-drop');
    // Its ack was lost with the channel: the broker hands it out again; the second reply finds nobody waiting.
    await eventually(() => answers.slowFinished.filter((tag) => tag === 'responder-drop').length === 2, 'the redelivery handled');
    expect(inFlight(client)).toBe(0);
  });
});
