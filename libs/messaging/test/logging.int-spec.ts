// Integration: what the services actually write through LoggingModule (pino) during HTTP requests and message
// handling — one JSON object a line, correlation and trace ids on message lines, no e-mail address in clear.
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import { Body, Controller, Get, Inject, Injectable, Logger as NestLogger, Post, Query, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { ChannelModel } from 'amqplib';
import { IsEmail, IsString } from 'class-validator';
import { Logger } from 'nestjs-pino';
import request from 'supertest';
import {
  MessageHandler,
  ConsumerSupervisor,
  MessageHeaders,
  MessagePublisher,
  MessagingModule,
  PermanentError,
  Retryable,
  Sensitive,
  TransientError,
} from '@app/messaging';
import { DATABASE, DatabaseModule, Outbox, type DatabaseHandle } from '@app/persistence';
import { CorrelationModule, LoggingModule } from '@app/service-kit';
import { startInMemoryTracing, type InMemoryTracing } from '../../../test/support/in-memory-tracing';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { createTestVhost, eventually, getOne, type TestVhost } from '../../../test/support/test-broker';

class SignupRequested {
  static readonly messageType = 'signup.requested';
  static readonly schemaVersion = 1;
  @IsString() id!: string;
  @IsEmail() @Sensitive() email!: string;
  /** "ok", "transient-once", "permanent". */
  @IsString() behaviour!: string;
}

class SignupBody {
  @IsString() id!: string;
  @IsString() email!: string;
  @IsString() behaviour!: string;
}

@Controller('signups')
class SignupsController {
  private readonly logger = new NestLogger('Signups');
  constructor(
    private readonly publisher: MessagePublisher,
    private readonly outbox: Outbox,
    @Inject(DATABASE) private readonly database: DatabaseHandle,
  ) {}

  @Post()
  async request(@Body() body: SignupBody): Promise<{ messageId: string }> {
    this.logger.log({ event: 'signup.accepted', signup: body });
    return this.publisher.publish(SignupRequested, body);
  }

  /** The same message through the outbox: the relay publishes it later, outside the request. */
  @Post('deferred')
  async defer(@Body() body: SignupBody): Promise<{ messageId: string }> {
    return this.database.db.transaction((tx) => this.outbox.add(tx, SignupRequested, body));
  }

  /** An unexpected error whose text names a customer. */
  @Get('broken')
  broken(): never {
    throw new Error(`profile of ${ADDRESSES.broken} is corrupt`);
  }

  /** A lookup by address, the way real APIs put one in a URL. */
  @Get('lookup')
  lookup(@Query('email') email: string): { found: boolean } {
    this.logger.log(`looking up ${email}`);
    return { found: false };
  }
}

@Injectable()
class SignupHandler {
  private readonly logger = new NestLogger('Signups');
  readonly attempts = new Map<string, number>();
  readonly done = new Set<string>();

  @MessageHandler(SignupRequested)
  @Retryable({ maxAttempts: 3, backoff: { initialMs: 100, factor: 1, jitter: 'none' } })
  onSignup(signup: SignupRequested): void {
    const attempt = (this.attempts.get(signup.id) ?? 0) + 1;
    this.attempts.set(signup.id, attempt);
    this.logger.log({ event: 'signup.received', signup });
    if (signup.behaviour === 'permanent') throw new PermanentError(`cannot mail ${signup.email}`);
    if (signup.behaviour === 'transient-once' && attempt === 1) throw new TransientError(`mailbox of ${signup.email} is busy`);
    this.done.add(signup.id);
  }
}

/** Collects what pino writes, one entry per line. */
class LineCollector extends Writable {
  readonly lines: string[] = [];
  private partial = '';

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    const parts = (this.partial + chunk.toString()).split('\n');
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts.filter((line) => line.length > 0));
    callback();
  }

  entries(): Array<Record<string, unknown>> {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

const SERVICE = 'logged';
const QUEUE = `${SERVICE}.${SignupRequested.messageType}`;
const ADDRESSES = {
  ok: 'alice@example.com',
  flaky: 'carol@example.com',
  doomed: 'bob@example.com',
  deferred: 'erin@example.com',
  lookup: 'dave@example.com',
  broken: 'frank@example.com',
};
const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;

let tracing: InMemoryTracing;

describe('structured logs of a service', () => {
  const output = new LineCollector();
  let vhost: TestVhost;
  let testDb: TestDatabase;
  let app: INestApplication<Server>;
  let observer: ChannelModel;
  const sent: Record<string, string> = {};

  beforeAll(async () => {
    tracing = startInMemoryTracing();

    vhost = await createTestVhost('logging');
    testDb = await createTestDatabase('logging');
    const moduleRef = await Test.createTestingModule({
      imports: [
        LoggingModule.forRoot({ serviceName: SERVICE, level: 'debug', destination: output }),
        DatabaseModule.forRoot({ serviceName: SERVICE, url: testDb.url, dataDir: testDb.dataDir, outbox: { pollIntervalMs: 20 } }),
        MessagingModule.forRoot({ url: vhost.url, serviceName: SERVICE, queueType: 'classic', delay: 'ladder' }),
        CorrelationModule,
      ],
      controllers: [SignupsController],
      providers: [SignupHandler],
    }).compile();
    app = moduleRef.createNestApplication<INestApplication<Server>>({ bufferLogs: true });
    app.useLogger(app.get(Logger));
    await app.init();
    await app.get(ConsumerSupervisor).waitUntilReady();
    observer = await vhost.connect();

    // The scenario: three signups over HTTP (one succeeds, one retries once, one is dead-lettered), one through the
    // outbox, and a lookup with an address in the query string.
    const handler = app.get(SignupHandler);
    const server = app.getHttpServer();
    for (const [id, behaviour] of [
      ['ok', 'ok'],
      ['flaky', 'transient-once'],
      ['doomed', 'permanent'],
    ] as const) {
      const response = await request(server).post('/signups').send({ id, email: ADDRESSES[id], behaviour }).expect(201);
      sent[id] = (response.body as { messageId: string }).messageId;
    }
    const deferred = await request(server)
      .post('/signups/deferred')
      .send({ id: 'deferred', email: ADDRESSES.deferred, behaviour: 'ok' })
      .expect(201);
    sent.deferred = (deferred.body as { messageId: string }).messageId;
    await request(server).get('/signups/lookup').query({ email: ADDRESSES.lookup }).set('authorization', 'Bearer s3cret').expect(200);
    await request(server).get('/signups/broken').expect(500);

    await eventually(() => ['ok', 'flaky', 'deferred'].every((id) => handler.done.has(id)), 'signups handled', 15_000);
    const events = () => output.entries().map((entry) => entry.event);
    await eventually(
      () => events().includes('message.dead_lettered') && events().filter((event) => event === 'message.acked').length >= 3,
      'outcomes logged',
    );
  });

  afterAll(async () => {
    await observer?.close();
    await app?.close();
    await vhost?.delete();
    await testDb?.drop();
    await tracing?.stop();
    if (process.env.E2E_DEBUG) console.log(output.lines.join('\n'));
  });

  const entries = () => output.entries();
  const withEvent = (event: string) => entries().filter((entry) => entry.event === event);

  it('writes every line as one JSON object with the service name, level and time', () => {
    expect(output.lines.length).toBeGreaterThan(10);
    for (const line of output.lines) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(entry).toMatchObject({ name: SERVICE, level: expect.any(Number), time: expect.any(Number) });
    }
  });

  it('puts correlation id, message id, type and trace ids on every consume-outcome line', () => {
    const outcomes = entries().filter((entry) =>
      ['message.acked', 'message.retry_scheduled', 'message.dead_lettered'].includes(String(entry.event)),
    );
    expect(outcomes.map((entry) => `${String(entry.event)} ${String(entry.messageId)}`).sort()).toEqual(
      [
        `message.acked ${sent.ok}`,
        `message.acked ${sent.flaky}`,
        `message.acked ${sent.deferred}`,
        `message.retry_scheduled ${sent.flaky}`,
        `message.dead_lettered ${sent.doomed}`,
      ].sort(),
    );
    for (const entry of outcomes) {
      expect(entry).toMatchObject({
        type: SignupRequested.messageType,
        queue: QUEUE,
        correlationId: expect.any(String),
        traceId: expect.stringMatching(HEX32),
        spanId: expect.stringMatching(HEX16),
      });
    }
  });

  it('puts correlation id, message id, type and trace ids on the publish lines of a request', () => {
    const published = withEvent('message.published').filter((entry) =>
      [sent.ok, sent.flaky, sent.doomed].includes(String(entry.messageId)),
    );
    expect(published).toHaveLength(3);
    for (const entry of published) {
      expect(entry).toMatchObject({
        type: SignupRequested.messageType,
        correlationId: expect.any(String),
        traceId: expect.stringMatching(HEX32),
        spanId: expect.stringMatching(HEX16),
      });
    }
    // The consumer's lines belong to the publisher's trace and conversation.
    const acked = withEvent('message.acked').find((entry) => entry.messageId === sent.ok)!;
    const publishedOk = published.find((entry) => entry.messageId === sent.ok)!;
    expect(acked.traceId).toBe(publishedOk.traceId);
    expect(acked.correlationId).toBe(publishedOk.correlationId);
  });

  // FINDING: the relay logs message.published after its PRODUCER span has ended, outside any span, so the line of a
  // relayed publish has no trace ids (publishing/message-publisher.ts, send()). Flip to `it` once it does.
  it('puts trace ids on the publish line of a message the outbox relay sent', () => {
    const [relayed] = withEvent('message.published').filter((entry) => entry.messageId === sent.deferred);
    expect(relayed).toMatchObject({ correlationId: expect.any(String), type: SignupRequested.messageType });
    expect(relayed).toMatchObject({ traceId: expect.stringMatching(HEX32), spanId: expect.stringMatching(HEX16) });
  });

  it('logs each HTTP request once, with its status code and correlation id', () => {
    const completed = entries().filter((entry) => entry.msg === 'request completed' || entry.msg === 'request errored');
    const summary = (entry: Record<string, unknown>) =>
      `${(entry.req as { method: string; url: string }).method} ${(entry.req as { url: string }).url.split('?')[0]} ${(entry.res as { statusCode: number }).statusCode}`;
    expect(completed.map(summary)).toEqual([
      'POST /signups 201',
      'POST /signups 201',
      'POST /signups 201',
      'POST /signups/deferred 201',
      'GET /signups/lookup 200',
      'GET /signups/broken 500',
    ]);
    for (const entry of completed) expect(entry.correlationId).toEqual(expect.any(String));
  });

  it("logs an unhandled HTTP error with its class and its message masked, and never the caller's credentials", () => {
    const [logged] = entries().filter((entry) => entry.context === 'ExceptionsHandler');
    expect(logged).toMatchObject({
      level: 50,
      msg: 'profile of f***k@example.com is corrupt',
      err: { type: 'Error', message: 'profile of f***k@example.com is corrupt' },
    });
    expect(output.lines.join('\n')).not.toContain('s3cret');
  });

  it('writes no e-mail address in clear anywhere, and masks the ones it writes', () => {
    const everything = output.lines.join('\n');
    for (const address of Object.values(ADDRESSES)) {
      expect(everything).not.toContain(address);
      expect(everything).not.toContain(encodeURIComponent(address));
    }

    // @Sensitive fields of the message a handler logs, and addresses in error texts.
    const received = withEvent('signup.received').find((entry) => (entry.signup as { id: string }).id === 'doomed')!;
    expect((received.signup as { email: string }).email).toBe('b***b@example.com');
    expect(withEvent('message.dead_lettered')[0].reason).toBe('cannot mail b***b@example.com');
    expect(withEvent('message.retry_scheduled')[0].reason).toBe('mailbox of c***l@example.com is busy');
    // A plain-text line, and the request's query as pino-http binds it to every line of the request.
    expect(everything).toContain('looking up d***e@example.com');
    const lookup = entries().find((entry) => entry.msg === 'request completed' && (entry.req as { method: string }).method === 'GET')!;
    expect(lookup.req).toMatchObject({ url: '/signups/lookup?email=d***e@example.com', query: { email: 'd***e@example.com' } });
  });

  it('masks the address in the dead letter x-error-message header', async () => {
    const deadLetter = await getOne(observer, `${QUEUE}.dlq`);
    expect(deadLetter.properties.messageId).toBe(sent.doomed);
    const headers = deadLetter.properties.headers ?? {};
    expect(String(headers[MessageHeaders.errorMessage])).toBe('cannot mail b***b@example.com');
    expect(String(headers[MessageHeaders.errorStack])).not.toContain(ADDRESSES.doomed);
  });
});
