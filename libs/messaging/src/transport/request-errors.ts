// Why a request of the client failed on the requester's side. Both are transient: a handler that sends a request and
// gets one of them is retried like after any outage. (A responder's own error arrives as an RpcException.)
import { TransientError } from '@app/messaging-core';

/** No reply within the request's timeout: no responder, a slow one, or a request lost on the way. */
export class RequestTimeoutError extends TransientError {
  override readonly name: string = 'RequestTimeoutError';
  constructor(
    readonly messageType: string,
    readonly timeoutMs: number,
  ) {
    super(`No reply to ${messageType} within ${timeoutMs} ms`);
  }
}

/** The request could not be sent, or its reply can no longer arrive: no connection, the connection lost, the client closed. */
export class RequestFailedError extends TransientError {
  override readonly name: string = 'RequestFailedError';
}
