// The shutdown a signal starts: exit 0 once the app is closed, exit 1 when the close outlasts its bound or is
// interrupted by a second signal; and HTTP clients that keep their connections busy cannot hold the close.
import { Controller, Get, Injectable, type BeforeApplicationShutdown, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Agent, get, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { shutdownTrigger, type ShutdownTrigger } from './graceful-shutdown';

const HANDLER_MS = 20;
const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function request(url: string, agent: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    get(url, { agent }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      response.on('error', reject);
    }).on('error', reject);
  });
}

@Controller()
class PingController {
  @Get('ping')
  async ping(): Promise<string> {
    await sleep(HANDLER_MS);
    return 'pong';
  }
}

/** Stands in for the consumers' drain: beforeApplicationShutdown takes as long as the test says. */
@Injectable()
class Drain implements BeforeApplicationShutdown {
  static until: Promise<void> = Promise.resolve();
  started = false;
  async beforeApplicationShutdown(): Promise<void> {
    this.started = true;
    await Drain.until;
  }
}

interface Started {
  app: INestApplication;
  url: string;
  /** The exit code the shutdown chose, when it chose one. */
  exited: Promise<number>;
  trigger: ShutdownTrigger;
}

describe('graceful shutdown', () => {
  const agents: Agent[] = [];
  const apps: INestApplication[] = [];
  let releaseDrain: () => void = () => undefined;

  beforeEach(() => {
    Drain.until = new Promise<void>((done) => (releaseDrain = done));
  });

  afterEach(async () => {
    releaseDrain();
    for (const agent of agents.splice(0)) agent.destroy();
    await Promise.all(apps.splice(0).map((app) => app.close().catch(() => undefined)));
  });

  async function start(timeoutMs: number): Promise<Started> {
    const moduleRef = await Test.createTestingModule({ controllers: [PingController], providers: [Drain] }).compile();
    const app = moduleRef.createNestApplication<INestApplication<Server>>({ logger: false });
    apps.push(app);
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    let exit: (code: number) => void = () => undefined;
    const exited = new Promise<number>((done) => (exit = done));
    return { app, url: `http://127.0.0.1:${port}/ping`, exited, trigger: shutdownTrigger(app, { timeoutMs, exit }) };
  }

  /**
   * A keep-alive client (one connection) that sends its next request as soon as the last one is answered. `answered`
   * counts the answers, `closeAnswers` those that came with `Connection: close` (sent after the signal).
   */
  function busyClient(url: string): { answered: () => number; closeAnswers: () => number; stop: () => Promise<void> } {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    let stopped = false;
    let answered = 0;
    let closeAnswers = 0;
    const loop = (async () => {
      while (!stopped) {
        const answer = await request(url, agent).catch(() => undefined);
        if (!answer) break; // the server is gone
        answered++;
        if (answer.headers.connection === 'close') closeAnswers++;
      }
    })();
    return {
      answered: () => answered,
      closeAnswers: () => closeAnswers,
      stop: async () => {
        stopped = true;
        await loop;
      },
    };
  }

  async function until(predicate: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for: ${what}`);
      await sleep(5);
    }
  }

  it('exits 0 though keep-alive clients keep a request in flight all the time, answering them during the drain', async () => {
    const { app, url, exited, trigger } = await start(8_000);
    const clients = [busyClient(url), busyClient(url), busyClient(url)];
    await until(() => clients.every((client) => client.answered() > 0), 'every client answered before the signal');

    trigger('SIGTERM');
    await until(() => app.get(Drain).started, 'the drain started');
    const atDrain = clients.map((client) => client.answered());
    // Answers counted from the drain on only: each client is still served while the consumers drain.
    await until(() => clients.every((client, i) => client.answered() > atDrain[i] + 1), 'each client answered twice during the drain');
    const startedAt = Date.now();
    releaseDrain();

    // Without Connection: close the HTTP server waits for these connections, which never go idle, until the timeout.
    expect(await exited).toBe(0);
    expect(Date.now() - startedAt).toBeLessThan(4_000);
    await Promise.all(clients.map((client) => client.stop()));
    expect(Math.min(...clients.map((client) => client.closeAnswers()))).toBeGreaterThan(0);
  }, 20_000);

  it('still answers requests while draining, each on a connection of its own', async () => {
    const { app, url, exited, trigger } = await start(8_000);
    const agent = new Agent({ keepAlive: true });
    agents.push(agent);
    const before = await request(url, agent);
    expect(before.headers.connection).toBe('keep-alive');

    trigger('SIGTERM');
    while (!app.get(Drain).started) await sleep(5);

    const during = await request(url, agent);
    expect(during).toMatchObject({ status: 200, body: 'pong' });
    expect(during.headers.connection).toBe('close');

    releaseDrain();
    expect(await exited).toBe(0);
  });

  it('exits 1 when the close outlasts timeoutMs, not before', async () => {
    const { exited, trigger } = await start(300);
    const startedAt = Date.now();
    trigger('SIGTERM'); // the drain is never released
    expect(await exited).toBe(1);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(250);
  });

  it('exits 1 at once on a second signal', async () => {
    const { app, exited, trigger } = await start(8_000);
    trigger('SIGTERM');
    while (!app.get(Drain).started) await sleep(5);
    expect(trigger.closing).toBe(true);

    const startedAt = Date.now();
    trigger('SIGINT');

    // At once: long before the 8 s bound would end the close anyway (an ignored second signal exits 1 there too).
    let timer: NodeJS.Timeout | undefined;
    const stillRunning = new Promise<string>((done) => (timer = setTimeout(() => done('still running'), 2_000)));
    const code = await Promise.race([exited, stillRunning]);
    clearTimeout(timer);
    expect(code).toBe(1);
    expect(Date.now() - startedAt).toBeLessThan(1_000);
  });

  it('closes an application context that has no HTTP server', async () => {
    const moduleRef = await Test.createTestingModule({ providers: [Drain] }).compile();
    const context = await moduleRef.init();
    let exit: (code: number) => void = () => undefined;
    const exited = new Promise<number>((done) => (exit = done));
    releaseDrain();

    shutdownTrigger(context, { timeoutMs: 8_000, exit })('SIGTERM');

    expect(await exited).toBe(0);
    expect(context.get(Drain).started).toBe(true);
  });
});
