// Builds the call of each handler method: through Nest's own context creation when the handler has any guard,
// interceptor, pipe, filter or custom parameter of the user's (so they apply as they do to a controller), and as a
// plain method call otherwise (Nest's context would cost ~10 µs and several promises per message for nothing).
// @EventPattern and @MessagePattern handlers get an 'rpc' context, as in any Nest microservice, and their class's filters.
import { Catch, Injectable, type ExceptionFilter } from '@nestjs/common';
import { EXCEPTION_FILTERS_METADATA, GUARDS_METADATA, INTERCEPTORS_METADATA, PIPES_METADATA } from '@nestjs/common/constants';
import { ApplicationConfig, ExternalContextCreator, ModulesContainer, type ParamsFactory } from '@nestjs/core';
import { isObservable, lastValueFrom } from 'rxjs';
import type { MessageContext } from '../consuming/message-context';
import { HANDLER_PARAMS_METADATA, MESSAGE_CONTEXT_TYPE, RPC_CONTEXT_TYPE } from '../messaging.constants';
import type { HandlerDefinition } from './handler-definition';
import { declaredParams, directArguments, PAYLOAD_PARAM, positionalParams, withLibraryContext } from './message-params';

/** Calls a handler with its validated message; the result (an Observable's last value) may be a promise. */
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
  private readonly contextCreator: ExternalContextCreator;

  constructor(
    contextCreator: ExternalContextCreator,
    private readonly appConfig: ApplicationConfig,
    modules: ModulesContainer,
  ) {
    this.contextCreator = withControllerHosts(contextCreator, modules);
  }

  create(handler: HandlerDefinition): HandlerInvoker {
    const { instance, methodName } = handler;
    const prototype = Object.getPrototypeOf(instance) as Record<string, Method>;
    const method = prototype[methodName];
    const declared = declaredParams(prototype, methodName);
    const params = declared ? withLibraryContext(declared) : positionalParams();
    const patternHandler = handler.kind === 'event' || handler.kind === 'request';
    // A pattern handler's class filters apply, as in a Nest microservice (its controller's RPC filters); a
    // @MessageHandler's do not: its class may be an HTTP controller, whose filters answer HTTP requests.
    const userFilters = [...(patternHandler ? filtersOf(instance.constructor) : []), ...filtersOf(method)];
    const plan = directArguments(params);
    // Nest reads the global enhancers when it creates a handler's context (at start), so they are checked once too.
    // Global exception filters are not: they never see a handler's errors (see RethrowFilter).
    const needsNest =
      !plan || userFilters.length > 0 || hasEnhancers(method) || hasEnhancers(instance.constructor) || this.hasGlobalEnhancers();
    if (!needsNest) return directCall(instance, method, plan);
    Reflect.defineMetadata(HANDLER_PARAMS_METADATA, params, instance.constructor, methodName);
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
      HANDLER_PARAMS_METADATA,
      paramsFactory,
      undefined,
      undefined,
      undefined,
      patternHandler ? RPC_CONTEXT_TYPE : MESSAGE_CONTEXT_TYPE,
    ) as (message: object, context: MessageContext) => Promise<unknown>;
    // What a filter of the user's returns is the result too: an Observable that fails (an RPC filter's) fails the delivery.
    return (message, context) => throughNest(message, context).then(settleResult);
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

/**
 * Nest's external context creator looks for the module of a handler's class among the modules' providers only. For a
 * controller (where @EventPattern handlers live, and @MessageHandler ones may) it finds none, and the enhancers given
 * as classes (`@UseGuards(AuthGuard)`, resolved in that module) would be left out without a word. The creator used
 * here also looks among the controllers; everything else is Nest's own (a derived object: Nest's instance is untouched).
 */
function withControllerHosts(creator: ExternalContextCreator, modules: ModulesContainer): ExternalContextCreator {
  const derived = Object.create(creator) as ExternalContextCreator;
  derived.getContextModuleKey = (type) => {
    const key = creator.getContextModuleKey(type);
    if (key || !type) return key;
    for (const [moduleKey, module] of modules.entries()) {
      if (module.controllers.has(type as never)) return moduleKey;
    }
    return '';
  };
  return derived;
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

function filtersOf(target: object): unknown[] {
  return (Reflect.getMetadata(EXCEPTION_FILTERS_METADATA, target) as unknown[] | undefined) ?? [];
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
