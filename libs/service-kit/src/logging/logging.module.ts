// LoggingModule: structured JSON logs through pino (nestjs-pino), with correlation and trace ids on every line and
// personal data masked. LOG_LEVEL sets the level; LOG_FORMAT=pretty gives readable lines for local development. Both
// are checked when the application starts (a wrong one stops it, naming the variable).
import { Logger, Module, type DynamicModule, type LogLevel as NestLogLevel } from '@nestjs/common';
import { LoggerModule, type Params } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { IncomingMessage, OutgoingMessage } from 'node:http';
import {
  activeTraceIds,
  ConfigError,
  currentCorrelation,
  envOneOf,
  maskEmails,
  maskSensitive,
  type Env,
  type MaskOptions,
} from '@app/messaging';

// HTTP requests and responses are left whole for their log serializers, which mask what they keep: a copy would lose
// what those read through the prototype (a response's status code and headers).
const MASK: MaskOptions = { keepWhole: (value) => value instanceof IncomingMessage || value instanceof OutgoingMessage };

const QUIET_REQUESTS = /^\/(health|metrics)/;
const CONSOLE_POLLS = /^\/admin\/(api\/(overview|dead-letters)(\?|$)|assets\/)/;

/** pino's levels; 'silent' logs nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LoggingOptions {
  serviceName: string;
  /** Default LOG_LEVEL, else 'info'. */
  level?: LogLevel;
  /** 'json' (default) or 'pretty' (needs the pino-pretty dev dependency). Default LOG_FORMAT. */
  format?: LogFormat;
  /** Where lines go. Default stdout; tests pass a stream to read them. */
  destination?: DestinationStream;
}

@Module({})
export class LoggingModule {
  static forRoot(options: LoggingOptions): DynamicModule {
    // Resolved by a provider, so that a wrong LOG_LEVEL fails the application's start like any other setting.
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRootAsync({
          useFactory: () => {
            const params = loggerParams(options);
            // Nest's Logger.isLevelEnabled then answers as pino would: the library asks it before building the fields
            // of a line per message (message.acked at debug), which pino would otherwise drop only after they are built.
            Logger.overrideLogger(nestLevelsFor(resolveLogging(options).level));
            return params;
          },
        }),
      ],
      exports: [LoggerModule],
    };
  }
}

/** The options over LOG_LEVEL, LOG_FORMAT and the defaults; throws a ConfigError naming the option or the variable. */
export function resolveLogging(
  options: Pick<LoggingOptions, 'level' | 'format'>,
  env: Env = process.env,
): { level: LogLevel; format: LogFormat } {
  checkOption('level', options.level, LOG_LEVELS);
  checkOption('format', options.format, LOG_FORMATS);
  return {
    level: options.level ?? envOneOf(env, 'LOG_LEVEL', LOG_LEVELS) ?? 'info',
    format: options.format ?? envOneOf(env, 'LOG_FORMAT', LOG_FORMATS) ?? 'json',
  };
}

/** Nest's names of the levels pino writes at `level` (pino's info is Nest's log, trace is verbose). */
export function nestLevelsFor(level: LogLevel): NestLogLevel[] {
  const nest: Record<Exclude<LogLevel, 'silent'>, NestLogLevel> = {
    fatal: 'fatal',
    error: 'error',
    warn: 'warn',
    info: 'log',
    debug: 'debug',
    trace: 'verbose',
  };
  if (level === 'silent') return [];
  const written = LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(level) + 1) as Array<Exclude<LogLevel, 'silent'>>;
  return written.map((name) => nest[name]);
}

/** For JavaScript callers and casts: the types already keep TypeScript ones right. */
function checkOption(key: string, value: string | undefined, allowed: readonly string[]): void {
  if (value !== undefined && !allowed.includes(value)) {
    throw new ConfigError(`Invalid logging option "${key}": must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, got "${value}"`);
  }
}

export function loggerParams(options: LoggingOptions, env: Env = process.env): Params {
  const { level, format } = resolveLogging(options, env);
  const pinoOptions: NonNullable<Exclude<Params['pinoHttp'], unknown[]>> = {
    name: options.serviceName,
    level,
    transport:
      format === 'pretty' && hasPinoPretty()
        ? {
            target: 'pino-pretty',
            options: {
              singleLine: true,
              translateTime: 'SYS:HH:MM:ss.l',
              messageFormat: '{context} {event}{msg}',
              ignore: 'pid,hostname,context,event',
            },
          }
        : undefined,
    // Every line, HTTP or message: which request or message it belongs to, and where in the trace.
    mixin: () => ({ correlationId: currentCorrelation()?.correlationId, ...activeTraceIds() }),
    formatters: { log: (object) => maskSensitive(object, MASK) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        const masked = args.map((arg) => (typeof arg === 'string' ? maskEmails(arg) : arg));
        // Given an error and no message, pino writes the error's own message as msg, unmasked: give it the masked one.
        const error = masked[0] instanceof Error ? masked[0] : (masked[0] as { err?: unknown } | null)?.err;
        if (error instanceof Error && masked[1] === undefined) masked[1] = maskEmails(error.message);
        method.apply(this, masked as Parameters<typeof method>);
      },
    },
    serializers: {
      // pino-http binds the request to every line logged during it, and bindings bypass formatters.log.
      req: (request: object) => maskRequest(request),
      res: (response: object) => maskSensitive(response, MASK),
      // pino-http hands this pino's own serialization of the error, which names its class `type`.
      err: (error: Error & { type?: string }) => ({
        type: error.type ?? error.name,
        message: maskEmails(error.message),
        stack: error.stack ? maskEmails(error.stack) : undefined,
      }),
    },
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '***' },
    // Probes, scrapes, and what an open admin console fetches every few seconds (its polls and assets): a line each would
    // drown the rest. Its sign-in check and its actions are logged (their Authorization header redacted above).
    autoLogging: {
      ignore: (request) => QUIET_REQUESTS.test(request.url ?? '') || (request.method === 'GET' && CONSOLE_POLLS.test(request.url ?? '')),
    },
  };
  return { pinoHttp: options.destination ? [pinoOptions, options.destination] : pinoOptions };
}

/** A serialized request with e-mail addresses masked, also where the URL has them percent-encoded (`%40`). */
function maskRequest(request: object): unknown {
  const masked = maskSensitive(request, MASK) as Record<string, unknown>;
  if (typeof masked.url === 'string') masked.url = maskEmails(masked.url.replace(/%40/gi, '@'));
  return masked;
}

function hasPinoPretty(): boolean {
  try {
    require.resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}
