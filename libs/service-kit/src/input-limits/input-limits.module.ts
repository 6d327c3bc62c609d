// InputLimitsModule: the input limits on every HTTP request body, the same as a consumer's (InputLimits from
// @app/messaging-core). The size is the JSON body parser's own limit (413 before the body is read whole); depth,
// string and array length, reserved keys and well-formed text are checked by a middleware before any pipe runs.
import { Inject, Injectable, Module, RequestMethod, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ConfigError, resolveInputLimits, type InputLimits } from '@app/messaging-core';
import { INPUT_LIMITS } from '../service-kit.constants';
import { InputLimitsMiddleware } from './input-limits.middleware';

/** Any of InputLimits; the rest keep their defaults (DEFAULT_INPUT_LIMITS: 1 MiB, depth 32, strings 65536, arrays 10000). */
export type InputLimitsOptions = Partial<InputLimits>;

/** The limits over the defaults, checked: a wrong one stops the start with a ConfigError naming it. */
export function resolveHttpInputLimits(options: InputLimitsOptions = {}): InputLimits {
  return resolveInputLimits(options, (key, problem) => new ConfigError(`Invalid input limit "inputLimits.${key}": ${problem}`));
}

/** The shape of an Express adapter's body-parser registration (the Fastify adapter has another). */
interface BodyParserHost {
  getType(): string;
  useBodyParser?(type: 'json', rawBody: boolean, options: { limit: number }): unknown;
}

/**
 * Sets the JSON body parser's size limit to maxBytes. Registered as soon as the application has its HTTP adapter,
 * which is before Nest registers its own parser at init: Nest then leaves its default (100 kB) out, as it does for
 * `app.useBodyParser('json', ...)`. A body past the limit is answered 413 without being read whole.
 */
@Injectable()
class JsonBodyLimit {
  constructor(adapterHost: HttpAdapterHost, @Inject(INPUT_LIMITS) limits: InputLimits) {
    adapterHost.init$.subscribe(() => {
      const adapter = adapterHost.httpAdapter as unknown as BodyParserHost | undefined;
      if (adapter?.getType() === 'express') adapter.useBodyParser?.('json', false, { limit: limits.maxBytes });
    });
  }
}

@Module({})
export class InputLimitsModule implements NestModule {
  static forRoot(options: InputLimitsOptions = {}): DynamicModule {
    return {
      module: InputLimitsModule,
      providers: [{ provide: INPUT_LIMITS, useValue: resolveHttpInputLimits(options) }, JsonBodyLimit, InputLimitsMiddleware],
      exports: [INPUT_LIMITS],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(InputLimitsMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
