// Builds the call of each handler method: through Nest's own context creation when the handler has any guard,
// interceptor, pipe, filter or custom parameter of the user's (so they apply as they do to a controller), and as a
// plain method call otherwise (Nest's context would cost ~10 µs and several promises per message for nothing).
import { Catch, Injectable, type ExceptionFilter } from '@nestjs/common';
import {
  EXCEPTION_FILTERS_METADATA,
  GUARDS_METADATA,
  INTERCEPTORS_METADATA,
  PIPES_METADATA,
  ROUTE_ARGS_METADATA,
} from '@nestjs/common/constants';
import { ApplicationConfig, ExternalContextCreator, type ParamsFactory } from '@nestjs/core';
import { isObservable, lastValueFrom } from 'rxjs';
import type { MessageContext } from '../consuming/message-context';
import { MESSAGE_CONTEXT_TYPE, POSITIONAL_PARAMS_METADATA } from '../messaging.constants';
import type { HandlerDefinition } from './handler-definition';
import { declaredParams, directArguments, PAYLOAD_PARAM, positionalParams } from './message-params';

/** Calls a handler with its validated message; the result may be a promise. */
export type HandlerInvoker = (message: object, context: MessageContext) => unknown;

type Method = (...args: unknown[]) => unknown;

/** Hands out the message (or one of its properties) to @Payload parameters; custom parameters Nest resolves itself. */
const paramsFactory: ParamsFactory = {
  exchangeKeyForValue(type: number, data: unknown, args: unknown[]) {
    if (type !== PAYLOAD_PARAM) return undefined;
    const message = args[0] as Record<string, unknown> | undefined;
    return typeof data === 'string' && message ? message[data] : message;
  },
};

/**
 * Lowest-precedence method filter: an error no filter of the user's catches goes on to the outcome step as it is,
 * instead of through Nest's default handler (which logs an unstructured line) or an HTTP filter of the class or app.
 */
@Catch()
class RethrowFilter implements ExceptionFilter {
  catch(error: unknown): never {
    throw error;
  }
}
const RETHROW = new RethrowFilter();

@Injectable()
export class HandlerInvokerFactory {
  constructor(
    private readonly contextCreator: ExternalContextCreator,
    private readonly appConfig: ApplicationConfig,
  ) {}

  create(handler: HandlerDefinition): HandlerInvoker {
    const { instance, methodName } = handler;
    const prototype = Object.getPrototypeOf(instance) as Record<string, Method>;
    const method = prototype[methodName];
    const declared = declaredParams(prototype, methodName);
    const params = declared ?? positionalParams();
    const userFilters = (Reflect.getMetadata(EXCEPTION_FILTERS_METADATA, method) as unknown[] | undefined) ?? [];
    const plan = directArguments(params);
    // Nest reads the global enhancers when it creates a handler's context (at start), so they are checked once too.
    // Global exception filters are not: they never see a handler's errors (see RethrowFilter).
    const needsNest =
      !plan || userFilters.length > 0 || hasEnhancers(method) || hasEnhancers(instance.constructor) || this.hasGlobalEnhancers();
    if (!needsNest) return directCall(instance, method, plan);
    if (!declared) Reflect.defineMetadata(POSITIONAL_PARAMS_METADATA, params, instance.constructor, methodName);
    // A stand-in that carries the method's metadata (guards, interceptors...) and the rethrow filter after the user's,
    // so that the user's own method metadata is never rewritten.
    const callback = withMetadataOf(method, function (this: unknown, ...args: unknown[]) {
      return method.apply(this, args);
    });
    Reflect.defineMetadata(EXCEPTION_FILTERS_METADATA, [RETHROW, ...userFilters], callback);
    const throughNest = this.contextCreator.create(
      instance,
      callback,
      methodName,
      declared ? ROUTE_ARGS_METADATA : POSITIONAL_PARAMS_METADATA,
      paramsFactory,
      undefined,
      undefined,
      undefined,
      MESSAGE_CONTEXT_TYPE,
    ) as (message: object, context: MessageContext) => Promise<unknown>;
    return throughNest;
  }

  private hasGlobalEnhancers(): boolean {
    const config = this.appConfig;
    return (
      config.getGlobalGuards().length > 0 ||
      config.getGlobalInterceptors().length > 0 ||
      config.getGlobalPipes().length > 0 ||
      config.getGlobalRequestGuards().length > 0 ||
      config.getGlobalRequestInterceptors().length > 0 ||
      config.getGlobalRequestPipes().length > 0
    );
  }
}

function directCall(instance: object, method: Method, plan: ReadonlyArray<'message' | 'context' | undefined>): HandlerInvoker {
  const [first, second] = plan;
  if (plan.length <= 2 && first === 'message' && (second === 'context' || second === undefined)) {
    return (message, context) => settleResult(method.call(instance, message, context));
  }
  return (message, context) =>
    settleResult(
      method.apply(
        instance,
        plan.map((kind) => (kind === 'message' ? message : kind === 'context' ? context : undefined)),
      ),
    );
}

/** `wrapper` carries the metadata of `original`, so that @UseGuards, @UseInterceptors... on the method still apply. */
function withMetadataOf(original: Method, wrapper: Method): Method {
  for (const key of Reflect.getMetadataKeys(original)) {
    Reflect.defineMetadata(key, Reflect.getMetadata(key, original), wrapper);
  }
  return wrapper;
}

/** True if `target` (a handler method or its class) declares guards, interceptors or pipes. */
function hasEnhancers(target: object): boolean {
  return [GUARDS_METADATA, INTERCEPTORS_METADATA, PIPES_METADATA].some(
    (key) => ((Reflect.getMetadata(key, target) as unknown[] | undefined) ?? []).length > 0,
  );
}

/** A handler may return an Observable, as Nest allows: its last value is the result. */
function settleResult(result: unknown): unknown {
  return isObservable(result) ? lastValueFrom(result, { defaultValue: undefined }) : result;
}
