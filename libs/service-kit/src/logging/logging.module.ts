// LoggingModule: structured JSON logs through pino (nestjs-pino), with correlation and trace ids on every line and
// personal data masked. LOG_LEVEL sets the level; LOG_FORMAT=pretty gives readable lines for local development.
import { Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule, type Params } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { IncomingMessage, OutgoingMessage } from 'node:http';
import { activeTraceIds, currentCorrelation, maskEmails, maskSensitive, type MaskOptions } from '@app/messaging';

// HTTP requests and responses are left whole for their log serializers, which mask what they keep: a copy would lose
// what those read through the prototype (a response's status code and headers).
const MASK: MaskOptions = { keepWhole: (value) => value instanceof IncomingMessage || value instanceof OutgoingMessage };

export interface LoggingOptions {
  serviceName: string;
  /** Default LOG_LEVEL, else 'info'. */
  level?: string;
  /** 'json' (default) or 'pretty' (needs the pino-pretty dev dependency). Default LOG_FORMAT. */
  format?: 'json' | 'pretty';
  /** Where lines go. Default stdout; tests pass a stream to read them. */
  destination?: DestinationStream;
}

@Module({})
export class LoggingModule {
  static forRoot(options: LoggingOptions): DynamicModule {
    return { module: LoggingModule, imports: [LoggerModule.forRoot(loggerParams(options))], exports: [LoggerModule] };
  }
}

export function loggerParams(options: LoggingOptions): Params {
  const format = options.format ?? (process.env.LOG_FORMAT === 'pretty' ? 'pretty' : 'json');
  const pinoOptions: NonNullable<Exclude<Params['pinoHttp'], unknown[]>> = {
    name: options.serviceName,
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    transport: format === 'pretty' && hasPinoPretty() ? { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l', messageFormat: '{context} {event}{msg}', ignore: 'pid,hostname,context,event' } } : undefined,
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
      err: (error: Error & { type?: string }) => ({ type: error.type ?? error.name, message: maskEmails(error.message), stack: error.stack ? maskEmails(error.stack) : undefined }),
    },
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '***' },
    autoLogging: { ignore: (request) => /^\/(health|metrics)/.test(request.url ?? '') },
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
