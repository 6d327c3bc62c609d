// What a PostgreSQL driver error means for the service, by its class, SQLSTATE or socket code (never its text): the
// database cannot be reached (an outage: wait, answer 503, defer messages), or it refuses this service's settings (a
// configuration error: a wrong password, a missing database), or neither (the statement's own failure).
import { DatabaseError } from 'pg';
import {
  DependencyUnavailableError,
  dependencyOutageOf,
  EnvConfigError,
  MessagingConfigError,
  redactUrl,
  type ConfigError,
} from '@app/messaging';

/** The name the service's database goes by as a dependency (its readiness check, `dependsOn`). */
export const DATABASE_DEPENDENCY = 'database';

/**
 * SQLSTATEs of a server that cannot serve this session now: class 08 (connection exception), 57P01 (terminated by an
 * administrator: a fast shutdown or restart), 57P02 (crash of another backend), 57P03 (starting up or shutting
 * down), 53300 (no connection slot left).
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** SQLSTATEs of settings that waiting will not fix: a wrong password (28P01), no access (28000), no such database (3D000). */
const CONFIGURATION_SQLSTATES = new Set(['28P01', '28000', '3D000']);

/** Socket errors of a connection that could not be made or was cut. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

const MAX_CAUSE_DEPTH = 8;

/** The SQLSTATE of the server's error in `error` or its causes (drizzle wraps the driver's error in `cause`). */
export function sqlStateOf(error: unknown): string | undefined {
  for (const link of causeChain(error)) if (link instanceof DatabaseError && typeof link.code === 'string') return link.code;
  return undefined;
}

/** True when `error` (or a cause) says the database cannot be reached or the connection was lost. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (dependencyOutageOf(error)?.dependency === DATABASE_DEPENDENCY) return true;
  for (const link of causeChain(error)) {
    if (link instanceof DatabaseError) {
      const code = link.code ?? '';
      return code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code);
    }
    if (isSocketError(link)) return true;
  }
  return false;
}

/** The SQLSTATE when `error` says the database refuses this service's settings (not an outage), else undefined. */
export function databaseConfigurationSqlState(error: unknown): string | undefined {
  const state = sqlStateOf(error);
  return state && CONFIGURATION_SQLSTATES.has(state) ? state : undefined;
}

/** Where the database URL came from, to name it in a configuration error. */
export type DatabaseUrlSource = 'option' | 'env';

/**
 * The ConfigError that a refusal of the server amounts to (naming DATABASE_URL or the url option, the password
 * hidden), or undefined when `error` is not one.
 */
export function databaseConfigError(error: unknown, url: string, source: DatabaseUrlSource): ConfigError | undefined {
  const state = databaseConfigurationSqlState(error);
  if (!state) return undefined;
  const server = (causeChain(error).find((link) => link instanceof DatabaseError) as DatabaseError).message;
  const problem = `was refused by the database: ${server} (SQLSTATE ${state})`;
  return source === 'env'
    ? new EnvConfigError('DATABASE_URL', redactUrl(url), problem)
    : new MessagingConfigError('DatabaseModule url', `"${redactUrl(url)}" ${problem}`);
}

/** `error` as a DependencyUnavailableError of the database (itself when it is one), keeping it as the cause. */
export function databaseUnavailable(error: unknown, what = 'the database is unavailable'): DependencyUnavailableError {
  const outage = dependencyOutageOf(error);
  if (outage?.dependency === DATABASE_DEPENDENCY) return outage;
  return new DependencyUnavailableError(DATABASE_DEPENDENCY, `${what}: ${describe(error)}`, { cause: error });
}

function isSocketError(error: object): boolean {
  const { code, syscall } = error as { code?: unknown; syscall?: unknown };
  // A Node system error (it names the call that failed), not just any error with such a code.
  return typeof code === 'string' && SOCKET_CODES.has(code) && typeof syscall === 'string';
}

function causeChain(error: unknown): object[] {
  const chain: object[] = [];
  let current = error;
  while (current !== null && typeof current === 'object' && chain.length < MAX_CAUSE_DEPTH && !chain.includes(current)) {
    chain.push(current);
    try {
      current = (current as { cause?: unknown }).cause;
    } catch {
      break;
    }
  }
  return chain;
}

function describe(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return 'an error that could not be described';
  }
}
