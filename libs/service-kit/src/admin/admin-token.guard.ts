// Lets a request into the admin API only with `Authorization: Bearer <adminToken>`; without a configured token, none.
import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ADMIN_OPTIONS } from '../service-kit.constants';

/** Which dead-letter queues the admin API acts on. */
export type AdminScope = 'service' | 'vhost';

export interface AdminOptions {
  /** Bearer token of the admin API. Default ADMIN_TOKEN; without one (or empty) the admin API refuses every request. */
  token?: string;
  /**
   * 'service' (default): only this service's own queues, `<serviceName>.*` (MessagingModule's serviceName), so that one
   * service's token cannot list, replay or purge another's dead letters in a shared vhost. 'vhost': every dead-letter
   * queue of the vhost, for an operator's tool. (The `dlq` command line acts on the whole vhost: it holds the broker's
   * own credentials, which can do as much.)
   */
  scope?: AdminScope;
  /**
   * The operator console at /admin (a page whose script signs in with the token) and its JSON API under /admin/api.
   * Default true; false keeps only the dead-letter API.
   */
  console?: boolean;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(@Inject(ADMIN_OPTIONS) private readonly options: AdminOptions) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.options.token;
    if (!expected) {
      throw new UnauthorizedException('The admin API is disabled until ADMIN_TOKEN (or the token option of AdminModule) is set');
    }
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>();
    const header = request.headers.authorization;
    const presented = typeof header === 'string' ? BEARER.exec(header)?.[1] : undefined;
    if (!presented) throw new UnauthorizedException('Missing "Authorization: Bearer <admin token>" header');
    if (!tokensMatch(presented, expected)) throw new UnauthorizedException('Wrong admin token');
    return true;
  }
}

/** Constant-time comparison; a length mismatch is compared against itself so it takes the same time. */
function tokensMatch(presented: string, expected: string): boolean {
  const a = Buffer.from(presented, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  if (a.length !== b.length) {
    timingSafeEqual(b, b);
    return false;
  }
  return timingSafeEqual(a, b);
}
