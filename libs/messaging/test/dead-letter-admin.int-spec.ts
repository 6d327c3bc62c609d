// Integration: the dead-letter replay tool against RabbitMQ — DeadLetterAdmin, the dlq CLI and the admin HTTP API.
import type { Server } from 'node:http';
import { Readable } from 'node:stream';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import { IsIn, IsString } from 'class-validator';
import request from 'supertest';
import {
  DeadLetterAdmin,
  DeadLetterNotFoundError,
  DeadLetterQueueNotFoundError,
  MessageContext,
  MessageHandler,
  ConsumerSupervisor,
  MessageHeaders,
  MessagePublisher,
  MessagingModule,
  NotADeadLetterQueueError,
  PermanentError,
  ReplayHeaders,
  Retryable,
  TransientError,
  type PublishReceipt,
} from '@app/messaging';
import { AdminModule } from '@app/service-kit';
import { runDlqCommand, type CommandIo } from '../../../src/dlq/dlq-command';
import { createTestVhost, eventually, type TestVhost } from '../../../test/support/test-broker';

class JobQueued {
  static readonly messageType = 'job.queued';
  static readonly schemaVersion = 1;
  @IsString() id!: string;
  /** How the job fails while the handler is failing; "always" fails even after. */
  @IsIn(['permanent', 'transient', 'always']) failWith!: string;
}

interface Handled {
  id: string;
  context: MessageContext;
}

@Injectable()
class JobHandler {
  /** Flipped off by a test to let replayed messages through. */
  failing = true;
  readonly handled: Handled[] = [];

  @MessageHandler(JobQueued)
  @Retryable({ maxAttempts: 1 })
  onJob(job: JobQueued, context: MessageContext): void {
    if (this.failing || job.failWith === 'always') {
      if (job.failWith === 'transient') throw new TransientError('job failed for now');
      throw new PermanentError('job can never work');
    }
    this.handled.push({ id: job.id, context });
  }
}

const TOKEN = 'test-admin-token-0123456789';
const QUEUE = 'shop.job.queued';
const DLQ = `${QUEUE}.dlq`;
const LIVE_QUEUE = 'shop.live';

/** The `message` of an error answer (supertest types a body as any). */
function messageOf(response: { body: unknown }): string {
  return (response.body as { message: string }).message;
}

describe('dead-letter replay tool', () => {
  let vhost: TestVhost;
  let app: INestApplication<Server>;
  let handler: JobHandler;
  let publisher: MessagePublisher;
  let admin: DeadLetterAdmin;
  let observer: ChannelModel;
  let channel: ConfirmChannel;

  beforeAll(async () => {
    vhost = await createTestVhost('dlq-admin');
    const moduleRef = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({
          url: vhost.url,
          serviceName: 'shop',
          delay: 'ladder',
          publishFaults: false,
          reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
          shutdownTimeoutMs: 200,
        }),
        AdminModule.forRoot({ token: TOKEN }),
      ],
      providers: [JobHandler],
    }).compile();
    app = moduleRef.createNestApplication<INestApplication<Server>>({ logger: false });
    await app.init();
    await app.get(ConsumerSupervisor).waitUntilReady();
    handler = app.get(JobHandler);
    publisher = app.get(MessagePublisher);
    admin = app.get(DeadLetterAdmin);
    observer = await vhost.connect();
    channel = await observer.createConfirmChannel();
    await channel.assertQueue(LIVE_QUEUE, { durable: true });
  });

  afterAll(async () => {
    await observer?.close();
    await app?.close();
    await vhost?.delete();
  });

  async function depth(queue: string): Promise<number> {
    return (await channel.checkQueue(queue)).messageCount;
  }

  /** Empties the DLQ, then dead-letters one job per entry; resolves once all of them are in the DLQ. */
  async function produceDeadLetters(jobs: Record<string, string>): Promise<Record<string, PublishReceipt>> {
    handler.failing = true;
    await channel.purgeQueue(DLQ);
    const receipts: Record<string, PublishReceipt> = {};
    for (const [id, failWith] of Object.entries(jobs)) receipts[id] = await publisher.publish(JobQueued, { id, failWith });
    await eventually(async () => (await depth(DLQ)) === Object.keys(jobs).length, 'dead letters in the DLQ');
    return receipts;
  }

  function handledOnce(id: string): Handled {
    const seen = handler.handled.filter((h) => h.id === id);
    expect(seen).toHaveLength(1);
    return seen[0];
  }

  describe('DeadLetterAdmin', () => {
    it('lists dead letters grouped by error, largest group first, and leaves every one in the DLQ', async () => {
      await produceDeadLetters({ a: 'permanent', b: 'transient', c: 'permanent', d: 'permanent', e: 'transient' });

      const listing = await admin.list(DLQ);

      expect(listing).toEqual({
        queue: DLQ,
        total: 5,
        browsed: 5,
        truncated: false,
        groups: [
          { errorType: 'permanent', errorMessage: 'job can never work', messageType: 'job.queued', count: 3 },
          { errorType: 'exhausted', errorMessage: 'job failed for now', messageType: 'job.queued', count: 2 },
        ],
      });
      expect(await depth(DLQ)).toBe(5);
      expect((await admin.list(QUEUE)).total).toBe(5); // the handler queue's name stands for its DLQ
    });

    it('says when a listing looked at fewer messages than the queue holds', async () => {
      const listing = await admin.list(DLQ, { limit: 2 });

      expect(listing).toMatchObject({ total: 5, browsed: 2, truncated: true });
      expect(listing.groups.reduce((sum, g) => sum + g.count, 0)).toBe(2);
      expect(await depth(DLQ)).toBe(5);
    });

    it('shows a dead letter with its body byte for byte, its properties and its failure headers', async () => {
      await channel.purgeQueue(DLQ);
      handler.failing = true;
      const body = Buffer.from('{ "id": "raw",\n  "failWith": "permanent", "note": "café ✓" }');
      channel.publish('domain.events', 'job.queued', body, {
        messageId: 'raw-1',
        type: 'job.queued',
        contentType: 'application/json',
        correlationId: 'corr-raw',
        headers: { [MessageHeaders.correlationId]: 'corr-raw' },
      });
      await channel.waitForConfirms();
      await eventually(async () => (await depth(DLQ)) === 1, 'raw message dead-lettered');

      const details = await admin.show(DLQ, 'raw-1');

      expect(Buffer.from(details.bodyBase64, 'base64').equals(body)).toBe(true);
      expect(details.body).toBe(body.toString('utf8'));
      expect(details.json).toEqual({ id: 'raw', failWith: 'permanent', note: 'café ✓' });
      expect(details.properties).toMatchObject({ messageId: 'raw-1', type: 'job.queued', correlationId: 'corr-raw' });
      expect(details.headers).toMatchObject({
        [MessageHeaders.errorType]: 'permanent',
        [MessageHeaders.originalQueue]: QUEUE,
        [MessageHeaders.correlationId]: 'corr-raw',
        [MessageHeaders.handler]: 'JobHandler.onJob',
      });
      expect(await depth(DLQ)).toBe(1);
      await expect(admin.show(DLQ, 'no-such-id')).rejects.toThrow(DeadLetterNotFoundError);
    });

    it('replays exactly the chosen dead letter as a first attempt with its ids, and it is handled', async () => {
      const receipts = await produceDeadLetters({ one: 'permanent', two: 'permanent', three: 'transient' });
      handler.failing = false;

      const result = await admin.replay(DLQ, { ids: [receipts.two.messageId] });

      expect(result).toMatchObject({ queue: DLQ, examined: 3, replayed: 1, skipped: 0, notFound: [] });
      await eventually(() => handler.handled.some((h) => h.id === 'two'), 'replayed job handled');
      const { context } = handledOnce('two');
      expect(context.messageId).toBe(receipts.two.messageId);
      expect(context.correlationId).toBe(receipts.two.correlationId);
      expect(context.attempt).toBe(1);
      expect(context.headers[MessageHeaders.errorType]).toBeUndefined();
      expect(context.headers[ReplayHeaders.replayCount]).toBe(1);
      expect(await depth(DLQ)).toBe(2);
    });

    it('keeps a dead letter whose copy the broker did not take, and one that names no original queue', async () => {
      await channel.purgeQueue(DLQ);
      const failure = { [MessageHeaders.errorType]: 'permanent', [MessageHeaders.errorMessage]: 'gone' };
      channel.sendToQueue(DLQ, Buffer.from('{}'), {
        messageId: 'to-nowhere',
        headers: { ...failure, [MessageHeaders.originalQueue]: 'shop.deleted' },
      });
      channel.sendToQueue(DLQ, Buffer.from('{}'), { messageId: 'no-origin', headers: failure });
      await channel.waitForConfirms();

      const result = await admin.replay(DLQ, { errorType: 'permanent' });

      expect(result.replayed).toBe(0);
      expect(result.skipped).toBe(2);
      expect(result.skips).toEqual([
        { messageId: 'to-nowhere', reason: 'queue "shop.deleted" does not exist' },
        { messageId: 'no-origin', reason: `no ${MessageHeaders.originalQueue} header` },
      ]);
      expect(await depth(DLQ)).toBe(2);
    });

    it('replays by error type only the dead letters of that type', async () => {
      await produceDeadLetters({ p1: 'permanent', t1: 'transient', t2: 'transient' });
      handler.failing = false;
      const progress: Array<[number, number]> = [];

      const result = await admin.replay(QUEUE, { errorType: 'exhausted' }, (done, total) => progress.push([done, total]));

      expect(result).toMatchObject({ examined: 3, replayed: 2, skipped: 0 });
      expect(progress).toEqual([
        [1, 3],
        [2, 3],
        [3, 3],
      ]);
      await eventually(() => ['t1', 't2'].every((id) => handler.handled.some((h) => h.id === id)), 'exhausted jobs handled');
      expect(handler.handled.some((h) => h.id === 'p1')).toBe(false);
      expect(await depth(DLQ)).toBe(1);
      expect((await admin.list(DLQ)).groups).toEqual([expect.objectContaining({ errorType: 'permanent', count: 1 })]);
    });

    it('replays all, looking only at the dead letters there at the start, so one failing again is not looped over', async () => {
      await produceDeadLetters({ all1: 'permanent', all2: 'transient', again: 'always' });
      handler.failing = false;

      const result = await admin.replay(DLQ, { all: true });

      expect(result).toMatchObject({ examined: 3, replayed: 3, skipped: 0 });
      await eventually(() => ['all1', 'all2'].every((id) => handler.handled.some((h) => h.id === id)), 'jobs handled');
      await eventually(async () => (await depth(DLQ)) === 1, 'the job that fails again is back in the DLQ');
      const again = await admin.list(DLQ);
      expect(again.groups).toEqual([expect.objectContaining({ errorType: 'permanent', count: 1 })]);
    });

    it('purges a dead-letter queue and says how many it removed', async () => {
      await produceDeadLetters({ x1: 'permanent', x2: 'permanent' });

      expect(await admin.purge(DLQ)).toBe(2);
      expect(await depth(DLQ)).toBe(0);
    });

    it('refuses a queue that is not a dead-letter queue, and leaves it alone', async () => {
      channel.sendToQueue(LIVE_QUEUE, Buffer.from('{}'));
      await channel.waitForConfirms();

      await expect(admin.purge(LIVE_QUEUE)).rejects.toThrow(NotADeadLetterQueueError);
      await expect(admin.list('delay.level.00')).rejects.toThrow(/not a dead-letter queue/);
      expect(await depth(LIVE_QUEUE)).toBe(1);
    });

    it('reports a queue that does not exist, and keeps working afterwards', async () => {
      await expect(admin.list('shop.nothing.dlq')).rejects.toThrow(DeadLetterQueueNotFoundError);
      await expect(admin.purge('shop.nothing')).rejects.toThrow(DeadLetterQueueNotFoundError);
      await expect(admin.list(DLQ)).resolves.toMatchObject({ queue: DLQ });
    });
  });

  describe('dlq command', () => {
    function terminal(options: { isTTY?: boolean; input?: string } = {}): { io: CommandIo; out: () => string; err: () => string } {
      const out: string[] = [];
      const err: string[] = [];
      return {
        io: {
          stdout: { write: (text: string) => out.push(text) },
          stderr: { write: (text: string) => err.push(text) },
          stdin: Readable.from(options.input === undefined ? [] : [options.input]),
          isTTY: options.isTTY ?? false,
        },
        out: () => out.join(''),
        err: () => err.join(''),
      };
    }

    it('lists the dead letters as a table with the total', async () => {
      await produceDeadLetters({ c1: 'permanent', c2: 'transient', c3: 'transient' });
      const t = terminal();

      const code = await runDlqCommand(['list', QUEUE, '--url', vhost.url], t.io);

      expect(code).toBe(0);
      const lines = t.out().split('\n');
      expect(lines[0]).toMatch(/^ERROR TYPE\s+MESSAGE TYPE\s+COUNT\s+ERROR MESSAGE$/);
      expect(lines[1]).toMatch(/^exhausted\s+job\.queued\s+2\s+job failed for now$/);
      expect(lines[2]).toMatch(/^permanent\s+job\.queued\s+1\s+job can never work$/);
      expect(t.out()).toContain(`Total: 3 dead letters in ${DLQ}`);
    });

    it('replays by id and prints progress and a summary', async () => {
      const receipts = await produceDeadLetters({ r1: 'permanent', r2: 'permanent' });
      handler.failing = false;
      const t = terminal();

      const code = await runDlqCommand(['replay', DLQ, '--id', receipts.r1.messageId, '--url', vhost.url], t.io);

      expect(code).toBe(0);
      expect(t.err()).toContain('replayed 1 of 2 (2 examined)');
      expect(t.out()).toContain(`Replayed 1 of 2 dead letters examined in ${DLQ}.`);
      await eventually(() => handler.handled.some((h) => h.id === 'r1'), 'r1 handled');
    });

    it('refuses to purge without a terminal unless --yes is given', async () => {
      await produceDeadLetters({ k1: 'permanent', k2: 'permanent' });
      const refused = terminal();

      expect(await runDlqCommand(['purge', DLQ, '--url', vhost.url], refused.io)).toBe(1);
      expect(refused.err()).toContain(`refusing to purge 2 messages from ${DLQ} without a terminal`);
      expect(await depth(DLQ)).toBe(2);

      const declined = terminal({ isTTY: true, input: 'n\n' });
      expect(await runDlqCommand(['purge', DLQ, '--url', vhost.url], declined.io)).toBe(1);
      expect(declined.err()).toContain(`Purge 2 messages from ${DLQ}? [y/N]`);
      expect(await depth(DLQ)).toBe(2);

      const confirmed = terminal();
      expect(await runDlqCommand(['purge', DLQ, '--yes', '--url', vhost.url], confirmed.io)).toBe(0);
      expect(confirmed.out()).toContain(`Purged 2 messages from ${DLQ}.`);
      expect(await depth(DLQ)).toBe(0);
    });

    it.each([
      [['bogus'], /unknown command "bogus"/],
      [['list'], /missing <queue>/],
      [['replay', DLQ], /exactly one of --id/],
      [['replay', DLQ, '--all', '--error-type', 'permanent'], /exactly one of --id/],
      [['show', DLQ, 'a', 'b'], /unexpected argument "b"/],
      [['list', DLQ, '--bogus'], /Unknown option '--bogus'/],
    ])('exits with 2 and the usage on bad usage: %j', async (argv, reason) => {
      const t = terminal();

      expect(await runDlqCommand(argv, t.io)).toBe(2);
      expect(t.err().split('\n')[0]).toMatch(reason);
      expect(t.err()).toContain('Usage: dlq');
    });

    it.each([
      [
        { AMQP_URL: 'http://rabbit:5672' },
        'dlq: config error: AMQP_URL="http://rabbit:5672" must be a URL starting with amqp:// or amqps://',
      ],
      [{ AMQP_EXCHANGE: 'domain events' }, 'dlq: config error: AMQP_EXCHANGE="domain events" must be letters, digits'],
    ])('exits with 2 and one line naming the variable for a wrong %j, before it connects', async (env, line) => {
      const saved = { AMQP_URL: process.env.AMQP_URL, AMQP_EXCHANGE: process.env.AMQP_EXCHANGE };
      Object.assign(process.env, env);
      try {
        const t = terminal();

        expect(await runDlqCommand(['list', DLQ], t.io)).toBe(2);
        expect(t.err().split('\n').filter(Boolean)).toEqual([expect.stringContaining(line)]);
      } finally {
        for (const [name, value] of Object.entries(saved)) {
          if (value === undefined) delete process.env[name];
          else process.env[name] = value;
        }
      }
    });

    it('names the option, not a variable, for a wrong --url', async () => {
      const t = terminal();

      expect(await runDlqCommand(['list', DLQ, '--url', 'http://rabbit'], t.io)).toBe(2);
      expect(t.err()).toMatch(
        /^dlq: config error: Invalid messaging option "url": "http:\/\/rabbit\/?" must be a URL starting with amqp:\/\//,
      );
    });

    it('fails with a clear message, quickly, when the broker cannot be reached', async () => {
      const t = terminal();
      const started = Date.now();

      const code = await runDlqCommand(['list', DLQ, '--url', 'amqp://guest:guest@127.0.0.1:1', '--connect-timeout', '1'], t.io);

      expect(code).toBe(1);
      expect(t.err()).toMatch(/no connection to the broker at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:1 \(waited up to 1 s/);
      expect(Date.now() - started).toBeLessThan(5000);
    });

    it('reports an unknown queue with exit code 1', async () => {
      const t = terminal();

      expect(await runDlqCommand(['list', 'shop.nothing.dlq', '--url', vhost.url], t.io)).toBe(1);
      expect(t.err()).toContain('Queue "shop.nothing.dlq" does not exist');
    });
  });

  describe('admin HTTP API', () => {
    const auth = `Bearer ${TOKEN}`;

    it('refuses a request without a token, and one with a wrong token', async () => {
      const missing = await request(app.getHttpServer()).get(`/admin/dead-letters/${DLQ}`);
      expect(missing.status).toBe(401);
      expect(messageOf(missing)).toMatch(/Missing "Authorization: Bearer/);

      const wrong = await request(app.getHttpServer()).get(`/admin/dead-letters/${DLQ}`).set('Authorization', 'Bearer nope');
      expect(wrong.status).toBe(401);
      expect(messageOf(wrong)).toBe('Wrong admin token');
    });

    it('lists, shows and replays with the right token', async () => {
      const receipts = await produceDeadLetters({ h1: 'permanent', h2: 'transient' });
      const server = app.getHttpServer();

      const list = await request(server).get(`/admin/dead-letters/${QUEUE}`).set('Authorization', auth);
      expect(list.status).toBe(200);
      expect(list.body).toMatchObject({ queue: DLQ, total: 2, truncated: false });
      expect((list.body as { groups: unknown[] }).groups).toHaveLength(2);

      const show = await request(server).get(`/admin/dead-letters/${DLQ}/messages/${receipts.h1.messageId}`).set('Authorization', auth);
      expect(show.status).toBe(200);
      expect((show.body as { json: unknown }).json).toEqual({ id: 'h1', failWith: 'permanent' });

      handler.failing = false;
      const replay = await request(server)
        .post(`/admin/dead-letters/${DLQ}/replay`)
        .set('Authorization', auth)
        .send({ errorType: 'permanent' });
      expect(replay.status).toBe(200);
      expect(replay.body).toMatchObject({ replayed: 1, skipped: 0 });
      await eventually(() => handler.handled.some((h) => h.id === 'h1'), 'h1 handled');
    });

    it.each([
      [{}, /exactly one of ids, all or errorType/],
      [{ all: true, ids: ['x'] }, /got ids and all/],
      [{ ids: 'x' }, /non-empty list/],
      [{ everything: true }, /Unknown field\(s\): everything/],
    ])('answers 400 with the reason to the replay body %j', async (body, reason) => {
      const response = await request(app.getHttpServer()).post(`/admin/dead-letters/${DLQ}/replay`).set('Authorization', auth).send(body);

      expect(response.status).toBe(400);
      expect(messageOf(response)).toMatch(reason);
    });

    it('answers 400 to a purge without ?confirm=true, and purges with it', async () => {
      await produceDeadLetters({ z1: 'permanent' });
      const server = app.getHttpServer();

      const unconfirmed = await request(server).delete(`/admin/dead-letters/${DLQ}`).set('Authorization', auth);
      expect(unconfirmed.status).toBe(400);
      expect(messageOf(unconfirmed)).toMatch(/confirm=true/);
      expect(await depth(DLQ)).toBe(1);

      const confirmed = await request(server).delete(`/admin/dead-letters/${DLQ}?confirm=true`).set('Authorization', auth);
      expect(confirmed.status).toBe(200);
      expect(confirmed.body).toEqual({ queue: DLQ, purged: 1 });
    });

    it('answers 404 for an unknown queue or message and 400 for a queue that is not a DLQ', async () => {
      const server = app.getHttpServer();

      const queue = await request(server).get('/admin/dead-letters/shop.nothing.dlq').set('Authorization', auth);
      expect(queue.status).toBe(404);
      expect(messageOf(queue)).toContain('does not exist');

      const message = await request(server).get(`/admin/dead-letters/${DLQ}/messages/nope`).set('Authorization', auth);
      expect(message.status).toBe(404);

      const live = await request(server).delete(`/admin/dead-letters/${LIVE_QUEUE}?confirm=true`).set('Authorization', auth);
      expect(live.status).toBe(400);
      expect(messageOf(live)).toMatch(/not a dead-letter queue/);
      expect(await depth(LIVE_QUEUE)).toBeGreaterThan(0);
    });

    it("answers 403 for another service's queue, before anything touches the broker", async () => {
      await channel.assertQueue('billing.job.queued.dlq', { durable: true });
      channel.sendToQueue('billing.job.queued.dlq', Buffer.from('{}'), { messageId: 'theirs' });
      await channel.waitForConfirms();
      const server = app.getHttpServer();

      for (const call of [
        request(server).get('/admin/dead-letters/billing.job.queued.dlq'),
        request(server).get('/admin/dead-letters/billing.job.queued/messages/theirs'),
        request(server).post('/admin/dead-letters/billing.job.queued.dlq/replay').send({ all: true }),
        request(server).delete('/admin/dead-letters/billing.job.queued.dlq?confirm=true'),
        request(server).get('/admin/dead-letters/shopping.job.queued.dlq'),
      ]) {
        const response = await call.set('Authorization', auth);
        expect(response.status).toBe(403);
        expect(messageOf(response)).toMatch(/is not one of this service's \(shop\.\*\)/);
      }
      expect(await depth('billing.job.queued.dlq')).toBe(1);
    });

    it("acts on every service's queues with AdminModule's scope: 'vhost'", async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [
          MessagingModule.forRoot({ url: vhost.url, serviceName: 'ops', consume: false, shutdownTimeoutMs: 200 }),
          AdminModule.forRoot({ token: TOKEN, scope: 'vhost' }),
        ],
      }).compile();
      const operator = moduleRef.createNestApplication<INestApplication<Server>>({ logger: false });
      await operator.init();
      try {
        const response = await request(operator.getHttpServer())
          .get('/admin/dead-letters/billing.job.queued.dlq')
          .set('Authorization', auth);
        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({ queue: 'billing.job.queued.dlq', total: 1 });
      } finally {
        await operator.close();
      }
    });

    it.each([250, 251, 252, 253, 254, 255, 256, 300])(
      'answers 4xx, never 500, for a queue name of %i bytes (the limit is 255, checked after ".dlq" is added)',
      async (bytes) => {
        const name = `shop.${'q'.repeat(bytes - 5)}`;

        const response = await request(app.getHttpServer()).get(`/admin/dead-letters/${name}`).set('Authorization', auth);

        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        expect(messageOf(response)).toMatch(bytes > 255 ? /is not a queue name \(1 to 255 bytes\)/ : /exists/);
      },
    );

    it('refuses every request while no admin token is configured', async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [
          MessagingModule.forRoot({ url: vhost.url, serviceName: 'tokenless', consume: false, shutdownTimeoutMs: 200 }),
          AdminModule.forRoot({ token: '' }),
        ],
      }).compile();
      const tokenless = moduleRef.createNestApplication<INestApplication<Server>>({ logger: false });
      await tokenless.init();
      try {
        const response = await request(tokenless.getHttpServer()).get(`/admin/dead-letters/${DLQ}`).set('Authorization', 'Bearer ');
        expect(response.status).toBe(401);
        expect(messageOf(response)).toMatch(/disabled until ADMIN_TOKEN/);
      } finally {
        await tokenless.close();
      }
    });
  });
});
