// Checks a parsed HTTP body against the input limits before any pipe, guard or handler reads it (class-transformer in
// a ValidationPipe recurses, and would overflow the stack on a deep body): 413 past a limit, 400 for a reserved key
// or text that is not well-formed, each with the reason. The same check as a consumer's decode step.
import { BadRequestException, Inject, Injectable, PayloadTooLargeException, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkInputLimits, InputLimitError, type InputLimits } from '@app/messaging-core';
import { INPUT_LIMITS } from '../service-kit.constants';

@Injectable()
export class InputLimitsMiddleware implements NestMiddleware {
  constructor(@Inject(INPUT_LIMITS) private readonly limits: InputLimits) {}

  use(req: IncomingMessage & { body?: unknown }, _res: ServerResponse, next: (error?: unknown) => void): void {
    const { body } = req;
    if (body !== null && typeof body === 'object') {
      try {
        checkInputLimits(body, this.limits);
      } catch (error) {
        throw error instanceof InputLimitError ? inputLimitResponse(error) : error;
      }
    }
    next();
  }
}

/** The HTTP answer to a broken limit (413) or rule (400), with the reason. */
export function inputLimitResponse(error: InputLimitError): PayloadTooLargeException | BadRequestException {
  return error.isSizeLimit ? new PayloadTooLargeException(error.message) : new BadRequestException(error.message);
}
