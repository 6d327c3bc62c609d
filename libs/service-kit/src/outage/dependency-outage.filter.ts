// Answers an HTTP request that failed because a dependency of the service is unavailable (a DependencyUnavailableError
// anywhere in the error's causes: the database's pool raises one for a refused or lost connection, the Redis store for
// a Redis it cannot reach, an application for a dependency of its own) with 503 and Retry-After, instead of a 500.
// Everything else goes on to Nest's own handling, as if this filter were not there: a 4xx stays a 4xx, a bug a 500.
import { Catch, HttpException, Inject, Logger, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { dependencyOutageOf } from '@app/messaging';
import { OUTAGE_OPTIONS } from '../service-kit.constants';

export interface OutageOptions {
  /** Seconds a client is asked to wait before it tries again (the Retry-After header). Default 5. */
  retryAfterSeconds?: number;
}

export type ResolvedOutageOptions = Required<OutageOptions>;

/** The body of a 503 for an unavailable dependency. */
export interface OutageResponseBody {
  statusCode: 503;
  error: 'Service Unavailable';
  message: string;
  /** The dependency's name, as readiness names it ("database", "redis"). */
  dependency: string;
}

@Catch()
export class DependencyOutageFilter extends BaseExceptionFilter {
  private readonly logger = new Logger('Http');

  constructor(@Inject(OUTAGE_OPTIONS) private readonly outage: ResolvedOutageOptions) {
    super();
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    // An HttpException is an answer someone chose (a 4xx, or a 5xx on purpose): it is never replaced.
    const outage = host.getType() === 'http' && !(exception instanceof HttpException) ? dependencyOutageOf(exception) : undefined;
    if (!outage) {
      super.catch(exception, host);
      return;
    }
    const adapter = this.httpAdapterHost?.httpAdapter;
    if (!adapter) {
      super.catch(exception, host);
      return;
    }
    const response: unknown = host.switchToHttp().getResponse();
    if (adapter.isHeadersSent(response)) {
      adapter.end(response);
      return;
    }
    this.logger.debug({ event: 'http.dependency_unavailable', dependency: outage.dependency, reason: outage.message });
    const body: OutageResponseBody = {
      statusCode: 503,
      error: 'Service Unavailable',
      message: `The service cannot reach its ${outage.dependency} right now; try again later`,
      dependency: outage.dependency,
    };
    adapter.setHeader(response, 'Retry-After', String(this.outage.retryAfterSeconds));
    adapter.reply(response, body, 503);
  }
}
