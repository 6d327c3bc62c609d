// Turns an error into the kind that decides its fate: retried (transient) or dead-lettered (permanent, validation).
import { HttpException } from '@nestjs/common';
import { MessageDecodeError, MessageValidationError, PermanentError, TransientError } from '@app/messaging-core';

export type ErrorKind = 'validation' | 'permanent' | 'transient';

/** A user-supplied rule: return a kind to decide, or undefined to leave the error to the next rule. */
export type ErrorClassifier = (error: unknown) => ErrorKind | undefined;

const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

// SQLSTATE classes that no retry can fix: data exceptions (bad uuid, overflow), integrity violations, syntax or
// undefined objects. Others (serialization failures, deadlocks, connection loss, shutdown) may pass later.
const PERMANENT_SQLSTATE_CLASSES = new Set(['22', '23', '42', '2B', '44']);

/** The SQLSTATE of a PostgreSQL error, also when wrapped (drizzle puts the driver's error in `cause`). */
function sqlStateOf(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    const code = (current as { code?: unknown }).code;
    const isDatabaseError =
      (current as { severity?: unknown }).severity !== undefined || (current as { name?: unknown }).name === 'DatabaseError';
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && isDatabaseError) return code;
  }
  return undefined;
}

/** The library's own rules: named classes first, then HTTP status, then Node socket codes; unknown errors are transient. */
export const defaultClassifier: ErrorClassifier = (error) => {
  if (error instanceof MessageValidationError || error instanceof MessageDecodeError) return 'validation';
  if (error instanceof PermanentError) return 'permanent';
  if (error instanceof TransientError) return 'transient';
  if (error instanceof HttpException) {
    const status = error.getStatus();
    if (status === 408 || status === 429) return 'transient';
    return status >= 400 && status < 500 ? 'permanent' : 'transient';
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TRANSIENT_NODE_CODES.has(code)) return 'transient';
  const sqlState = sqlStateOf(error);
  if (sqlState) return PERMANENT_SQLSTATE_CLASSES.has(sqlState.slice(0, 2)) ? 'permanent' : 'transient';
  if (error instanceof TypeError || error instanceof RangeError || error instanceof SyntaxError) return 'permanent';
  return 'transient';
};

/** Classifies with the user's rules first (in order), then the library's. */
export function classifyError(error: unknown, classifiers: readonly ErrorClassifier[] = []): ErrorKind {
  for (const classify of classifiers) {
    const kind = classify(error);
    if (kind) return kind;
  }
  return defaultClassifier(error) ?? 'transient';
}
