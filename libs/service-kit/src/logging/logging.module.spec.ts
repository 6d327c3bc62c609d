import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { Logger as NestLogger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Logger } from 'nestjs-pino';
import { pinoHttp } from 'pino-http';
import { ConfigError, EnvConfigError } from '@app/messaging-core';
import { LoggingModule, loggerParams, nestLevelsFor, resolveLogging, type LogLevel } from './logging.module';

/** The logger LoggingModule builds (through pino-http, as nestjs-pino does), writing into an array. */
function logger(): { log: ReturnType<typeof pinoHttp>['logger']; lines: () => Array<Record<string, unknown>> } {
  const written: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      written.push(...chunk.toString().split('\n').filter(Boolean));
      callback();
    },
  });
  const [options] = loggerParams({ serviceName: 'spec', level: 'info', destination }).pinoHttp as [object, unknown];
  const middleware = pinoHttp(options, destination);
  return { log: middleware.logger, lines: () => written.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

function request(url: string, headers: Record<string, string> = {}): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  req.method = 'GET';
  req.url = url;
  req.headers = headers;
  return req;
}

describe('loggerParams', () => {
  it('masks the message pino takes from an error logged without one', () => {
    const { log, lines } = logger();

    log.error({ err: new Error('cannot mail bob@example.com') });
    log.error(new Error('cannot mail ann@example.com'));

    expect(lines().map((line) => line.msg)).toEqual(['cannot mail b***b@example.com', 'cannot mail a***n@example.com']);
    expect(JSON.stringify(lines())).not.toMatch(/bob@|ann@/);
  });

  it('names the class of a logged error', () => {
    const { log, lines } = logger();

    log.error({ err: new TypeError('bad') }, 'failed');

    expect(lines()[0].err).toMatchObject({ type: 'TypeError', message: 'bad' });
  });

  it('masks e-mail addresses in the request bound to a child logger, also percent-encoded in the URL', () => {
    const { log, lines } = logger();

    log
      .child({ req: request('/customers?email=bob%40example.com', { 'x-customer': 'eve@example.com', authorization: 'Bearer t' }) })
      .info('seen');

    const [line] = lines();
    expect(line.req).toMatchObject({
      url: '/customers?email=b***b@example.com',
      headers: { 'x-customer': 'e***e@example.com', authorization: '***' },
    });
  });

  it("logs no line for probes, scrapes and an open admin console's polls, and one for its sign-in and actions", () => {
    const [options] = loggerParams({ serviceName: 'spec', level: 'info', destination: new Writable() }).pinoHttp as [
      { autoLogging: { ignore: (request: IncomingMessage) => boolean } },
    ];
    const ignored = (method: string, url: string): boolean => {
      const req = request(url);
      req.method = method;
      return options.autoLogging.ignore(req);
    };

    expect(ignored('GET', '/health/ready')).toBe(true);
    expect(ignored('GET', '/metrics')).toBe(true);
    expect(ignored('GET', '/admin/api/overview')).toBe(true);
    expect(ignored('GET', '/admin/api/dead-letters')).toBe(true);
    expect(ignored('GET', '/admin/assets/console.js')).toBe(true);
    expect(ignored('GET', '/admin/api/session')).toBe(false);
    expect(ignored('GET', '/admin')).toBe(false);
    expect(ignored('GET', '/admin/api/dead-letters/a.dlq/messages/m-1')).toBe(false);
    expect(ignored('POST', '/admin/api/dead-letters/a.dlq/replay')).toBe(false);
    expect(ignored('DELETE', '/admin/api/dead-letters/a.dlq?confirm=true')).toBe(false);
  });

  it("keeps a response's status code and headers", () => {
    const { log, lines } = logger();
    const res = new ServerResponse(request('/'));
    res.statusCode = 201;
    res.setHeader('location', '/orders/1');
    Object.defineProperty(res, 'headersSent', { value: true });

    log.info({ res }, 'done');

    expect(lines()[0].res).toEqual({ statusCode: 201, headers: { location: '/orders/1' } });
  });
});

describe('resolveLogging', () => {
  it('defaults to info and JSON', () => {
    expect(resolveLogging({}, {})).toEqual({ level: 'info', format: 'json' });
  });

  it('reads LOG_LEVEL and LOG_FORMAT, with empty values as unset', () => {
    expect(resolveLogging({}, { LOG_LEVEL: 'debug', LOG_FORMAT: 'pretty' })).toEqual({ level: 'debug', format: 'pretty' });
    expect(resolveLogging({}, { LOG_LEVEL: '', LOG_FORMAT: '' })).toEqual({ level: 'info', format: 'json' });
  });

  it('lets options given in code win over the environment, which is then not read', () => {
    expect(resolveLogging({ level: 'warn', format: 'json' }, { LOG_LEVEL: 'loud', LOG_FORMAT: 'xml' })).toEqual({
      level: 'warn',
      format: 'json',
    });
  });

  it.each([
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL="loud" must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent"'],
    ['LOG_LEVEL', 'INFO', 'LOG_LEVEL="INFO" must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent"'],
    ['LOG_FORMAT', 'xml', 'LOG_FORMAT="xml" must be one of "json", "pretty"'],
  ])('refuses %s=%p in one line naming the variable and what it accepts', (variable, value, message) => {
    const read = () => resolveLogging({}, { [variable]: value });

    expect(read).toThrow(EnvConfigError);
    expect(read).toThrow(message);
  });

  it('refuses a level given in code that pino does not know, naming the option', () => {
    const read = () => resolveLogging({ level: 'loud' as LogLevel }, {});

    expect(read).toThrow(ConfigError);
    expect(read).toThrow(
      'Invalid logging option "level": must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud"',
    );
  });

  it('is what loggerParams uses: a wrong LOG_LEVEL fails building the logger', () => {
    expect(() => loggerParams({ serviceName: 'spec' }, { LOG_LEVEL: 'loud' })).toThrow(EnvConfigError);
  });
});

describe("Nest's log levels", () => {
  afterEach(() => {
    NestLogger.overrideLogger(['fatal', 'error', 'warn', 'log', 'debug', 'verbose']);
  });

  it("name the levels pino writes at each of its levels (info is Nest's log, trace its verbose)", () => {
    expect(nestLevelsFor('info')).toEqual(['fatal', 'error', 'warn', 'log']);
    expect(nestLevelsFor('debug')).toEqual(['fatal', 'error', 'warn', 'log', 'debug']);
    expect(nestLevelsFor('trace')).toEqual(['fatal', 'error', 'warn', 'log', 'debug', 'verbose']);
    expect(nestLevelsFor('silent')).toEqual([]);
  });

  it.each([
    ['info', false],
    ['debug', true],
  ] as const)("follow LoggingModule's level, so that Logger.isLevelEnabled('debug') answers as pino would at %s", async (level, debug) => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        LoggingModule.forRoot({
          serviceName: 'spec',
          level,
          destination: new Writable({
            write(_chunk, _encoding, done) {
              done();
            },
          }),
        }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ bufferLogs: true });
    app.useLogger(app.get(Logger));
    await app.init();

    expect(NestLogger.isLevelEnabled('debug')).toBe(debug);
    expect(NestLogger.isLevelEnabled('log')).toBe(true);
    await app.close();
  });
});
