// What the dead-letter endpoints (the admin API and the console's API) share: a replay request's body read as a
// selector, and the dead-letter errors answered with their HTTP status.
import { BadRequestException, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import {
  DeadLetterEditRefusedError,
  DeadLetterNotFoundError,
  DeadLetterQueueNotFoundError,
  InvalidReplaySelectorError,
  NotADeadLetterQueueError,
  replayMatcher,
  type ReplaySelector,
} from '@app/messaging';

const SELECTOR_KEYS = ['ids', 'all', 'errorType'];

/** The request body as a selector, checked before anything touches the broker (InvalidReplaySelectorError). */
export function replaySelectorOf(body: unknown): ReplaySelector {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidReplaySelectorError('The body must be a JSON object: { "ids": [...] }, { "all": true } or { "errorType": "..." }');
  }
  const unknown = Object.keys(body).filter((key) => !SELECTOR_KEYS.includes(key));
  if (unknown.length > 0) throw new InvalidReplaySelectorError(`Unknown field(s): ${unknown.join(', ')}`);
  const selector = body as ReplaySelector;
  replayMatcher(selector);
  return selector;
}

/**
 * `work`'s result, or its dead-letter error as an HTTP one: 404 for a queue or letter that is not there, 400 for a
 * request that cannot be, 422 (with every issue) for an edited body its handler's contract refuses.
 */
export async function deadLetterHttpErrors<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof DeadLetterEditRefusedError) {
      throw new UnprocessableEntityException({
        statusCode: 422,
        error: 'Unprocessable Entity',
        message: error.message,
        issues: error.issues,
      });
    }
    if (error instanceof DeadLetterQueueNotFoundError || error instanceof DeadLetterNotFoundError)
      throw new NotFoundException(error.message);
    if (error instanceof NotADeadLetterQueueError || error instanceof InvalidReplaySelectorError) {
      throw new BadRequestException(error.message);
    }
    throw error;
  }
}
