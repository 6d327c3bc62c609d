// The body of a reply to a request, in the shape of a Nest microservice's packet: the handler's result, or its error as
// a message the requester may read (never a stack). Both ends read and write it here.
import { HttpException } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { errorMessage } from '../dead-letter/dead-letter-headers';
import { classifyError, type ErrorClassifier, type ErrorKind } from '../errors/classify-error';

/** What a requester learns of a responder's failure. */
export interface ReplyError {
  status: 'error';
  message: string;
  /** How the responder's library classed the error: a requester may retry a 'transient' one. */
  errorType?: ErrorKind;
  /** The error's class name. */
  name?: string;
  /** An RpcException thrown with an object carries that object's fields, as Nest's RPC exception filter sends them. */
  [field: string]: unknown;
}

export interface ReplyPacket {
  response?: unknown;
  err?: ReplyError;
  /** Always true: one reply per request (an Observable's last value). */
  isDisposed: true;
}

/** The reply carrying a handler's result; a result JSON cannot hold becomes an error reply. */
export function resultReply(result: unknown): Buffer {
  try {
    return Buffer.from(JSON.stringify({ response: result, isDisposed: true } satisfies ReplyPacket));
  } catch (error) {
    return errorReply(new TypeError(`The reply could not be written as JSON: ${errorMessage(error)}`));
  }
}

/** The reply carrying a handler's error: its message, its kind and its class name, no stack. */
export function errorReply(error: unknown, classifiers: readonly ErrorClassifier[] = []): Buffer {
  const err = replyErrorOf(error, classifiers);
  try {
    return Buffer.from(JSON.stringify({ err, isDisposed: true } satisfies ReplyPacket));
  } catch {
    // An RpcException's own object that JSON cannot hold: its message only.
    return Buffer.from(JSON.stringify({ err: { status: 'error', message: err.message }, isDisposed: true } satisfies ReplyPacket));
  }
}

export function replyErrorOf(error: unknown, classifiers: readonly ErrorClassifier[] = []): ReplyError {
  // As Nest's BaseRpcExceptionFilter answers: an RpcException's object as it is, or its text as the message; and what
  // an RPC exception filter of the user's threw back (a plain object, e.g. that filter's answer) as it is.
  const payload = error instanceof RpcException ? error.getError() : error;
  if (typeof payload === 'object' && payload !== null && !(payload instanceof Error)) {
    const fields = payload as Record<string, unknown>;
    return { ...fields, status: 'error', message: typeof fields.message === 'string' ? fields.message : errorMessage(error) };
  }
  if (error instanceof RpcException) return { status: 'error', message: errorMessage(payload), name: 'RpcException' };
  return { status: 'error', message: describe(error), errorType: kindOf(error, classifiers), name: nameOf(error) };
}

/** Reads a reply; undefined for a body that is not one (the requester then ignores it). */
export function readReply(content: Buffer): ReplyPacket | undefined {
  let packet: unknown;
  try {
    packet = JSON.parse(content.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof packet !== 'object' || packet === null) return undefined;
  const { response, err } = packet as { response?: unknown; err?: unknown };
  if (err !== undefined) {
    const fields = typeof err === 'object' && err !== null ? (err as Record<string, unknown>) : { message: err };
    const message = typeof fields.message === 'string' ? fields.message : 'The responder failed';
    return { err: { ...fields, status: 'error', message }, isDisposed: true };
  }
  return { response, isDisposed: true };
}

/** An HttpException (a guard's ForbiddenException, a ValidationPipe's BadRequestException) says most in its response. */
function describe(error: unknown): string {
  if (error instanceof HttpException) {
    const response = error.getResponse();
    const message = typeof response === 'object' && response !== null ? (response as { message?: unknown }).message : response;
    if (Array.isArray(message)) return errorMessage(message.map(String).join('; '));
    if (typeof message === 'string') return errorMessage(message);
  }
  return errorMessage(error);
}

function kindOf(error: unknown, classifiers: readonly ErrorClassifier[]): ErrorKind | undefined {
  try {
    return classifyError(error, classifiers);
  } catch {
    return undefined; // a classifier of the user's threw: the reply goes without a kind
  }
}

function nameOf(error: unknown): string | undefined {
  try {
    return error instanceof Error && typeof error.name === 'string' ? error.name : undefined;
  } catch {
    return undefined;
  }
}
