// @Payload() and @Ctx(): a handler's parameters by decorator, for handlers that take more than (message, context) or
// take them in another order. They write the same metadata as Nest's own parameter decorators, so a user's
// createParamDecorator() works beside them, and @nestjs/microservices' @Payload() and @Ctx() mean the same here.
import { createParamDecorator, type ExecutionContext, type PipeTransform, type Type } from '@nestjs/common';
import { CUSTOM_ROUTE_ARGS_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';

/** Parameter type of the message: the number of Nest microservices' RpcParamtype.PAYLOAD. */
export const PAYLOAD_PARAM = 3;
/** Parameter type that @nestjs/microservices' @Ctx() writes (RpcParamtype.CONTEXT); read here as the library's @Ctx(). */
export const NEST_CONTEXT_PARAM = 6;

type PipeLike = PipeTransform | Type<PipeTransform>;

interface ParamEntry {
  index: number;
  data?: unknown;
  pipes?: unknown[];
  factory?: unknown;
}

/** Route-argument metadata of a handler method, as Nest's decorators write it (key `type:index`). */
export type ParamsMetadata = Record<string, ParamEntry>;

/**
 * The validated message, or one of its properties (`@Payload('orderId')`), through the pipes given here (after the
 * global and @UsePipes ones).
 */
export function Payload(propertyOrPipe?: string | PipeLike, ...pipes: PipeLike[]): ParameterDecorator {
  const property = typeof propertyOrPipe === 'string' ? propertyOrPipe : undefined;
  const allPipes = propertyOrPipe === undefined || typeof propertyOrPipe === 'string' ? pipes : [propertyOrPipe, ...pipes];
  return (target, key, index) => {
    if (key === undefined) throw new TypeError('@Payload() decorates a parameter of a handler method');
    const existing = (Reflect.getMetadata(ROUTE_ARGS_METADATA, target.constructor, key) as ParamsMetadata | undefined) ?? {};
    const entry: ParamEntry = { index, data: property, pipes: allPipes };
    Reflect.defineMetadata(ROUTE_ARGS_METADATA, { ...existing, [`${PAYLOAD_PARAM}:${index}`]: entry }, target.constructor, key);
  };
}

function contextOf(_data: unknown, context: ExecutionContext): unknown {
  return context.switchToRpc().getContext();
}

/**
 * The handler's MessageContext. A custom parameter, as Nest sees it: a global ValidationPipe leaves it alone
 * (it validates the message, not the context).
 */
export const Ctx: () => ParameterDecorator = createParamDecorator(contextOf);

/** The factory behind @Ctx(), to recognise it in metadata. */
export const CONTEXT_PARAM_FACTORY = contextOf;

/** The parameters a handler declares with decorators, or undefined when it declares none. */
export function declaredParams(prototype: object, method: string): ParamsMetadata | undefined {
  const metadata = Reflect.getMetadata(ROUTE_ARGS_METADATA, prototype.constructor, method) as ParamsMetadata | undefined;
  return metadata && Object.keys(metadata).length > 0 ? metadata : undefined;
}

/** Metadata of the positional form: the message first, then the context. */
export function positionalParams(): ParamsMetadata {
  return {
    [`${PAYLOAD_PARAM}:0`]: { index: 0, data: undefined, pipes: [] },
    [contextKey(1)]: { index: 1, data: undefined, pipes: [], factory: contextOf },
  };
}

/**
 * Declared parameters as the library reads them: @nestjs/microservices' @Ctx() becomes the library's @Ctx() (a custom
 * parameter, which a global ValidationPipe leaves alone, as it must: it would rebuild the context without its
 * delivery), the rest as they are.
 */
export function withLibraryContext(params: ParamsMetadata): ParamsMetadata {
  const translated: ParamsMetadata = {};
  for (const [key, entry] of Object.entries(params)) {
    if (key === `${NEST_CONTEXT_PARAM}:${entry.index}`) translated[contextKey(entry.index)] = { ...entry, factory: contextOf };
    else translated[key] = entry;
  }
  return translated;
}

function contextKey(index: number): string {
  return `messaging-context${CUSTOM_ROUTE_ARGS_METADATA}:${index}`;
}

/**
 * How to call the method without Nest's context: for each position, 'message' or 'context'. Undefined when a
 * parameter needs Nest (a property of the message, pipes, a custom decorator of the user's).
 */
export function directArguments(params: ParamsMetadata): Array<'message' | 'context' | undefined> | undefined {
  const plan: Array<'message' | 'context' | undefined> = [];
  for (const [key, entry] of Object.entries(params)) {
    const hasPipes = (entry.pipes ?? []).length > 0;
    if (key === `${PAYLOAD_PARAM}:${entry.index}` && entry.data === undefined && !hasPipes) plan[entry.index] = 'message';
    else if (entry.factory === contextOf && !hasPipes) plan[entry.index] = 'context';
    else return undefined;
  }
  return plan;
}
