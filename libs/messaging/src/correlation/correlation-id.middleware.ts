// HTTP side of correlation: takes X-Correlation-Id from the request (or makes one) and returns it in the response.
import { Injectable, NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { acceptCorrelationId, newCorrelationId, runWithCorrelation } from './correlation-context';

export const CORRELATION_HTTP_HEADER = 'x-correlation-id';

@Injectable()
export class CorrelationIdMiddleware implements NestMiddleware {
  use(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void {
    const correlationId = acceptCorrelationId(req.headers[CORRELATION_HTTP_HEADER]) ?? newCorrelationId();
    res.setHeader('X-Correlation-Id', correlationId);
    runWithCorrelation({ correlationId }, () => next());
  }
}
