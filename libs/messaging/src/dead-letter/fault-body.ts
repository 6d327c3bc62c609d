// What a fault event says about the failed message's body: the body itself when it is small and plain enough for any
// consumer to accept it inside a fault, otherwise an excerpt of its identifying fields and a reference (dead-letter
// queue, size, sha256). Never throws and never recurses: it runs on poison of any size and shape.
import { createHash } from 'node:crypto';
import { checkInputLimits, isWellFormedText, RESERVED_KEYS, type InputLimits } from '@app/messaging-core';
import type { Fault } from './fault';

export interface FaultBodyLimits {
  /** Largest body carried whole. */
  faultBodyMaxBytes: number;
  /** The consumers' input limits: a carried body, one level deeper inside the fault, must stay within them. */
  limits: InputLimits;
}

/** A field goes into the excerpt when it is a short text, a finite number or a boolean. */
const EXCERPT_MAX_TEXT = 256;
const EXCERPT_MAX_KEY = 64;
const EXCERPT_MAX_FIELDS = 32;

export type FaultBody = Pick<Fault, 'message' | 'messageExcerpt'> & { original: NonNullable<Fault['original']> };

export function describeFaultBody(content: Buffer, deadLetterQueue: string, limits: FaultBodyLimits): FaultBody {
  const original = { deadLetterQueue, bytes: content.length, sha256: createHash('sha256').update(content).digest('hex'), carried: false };
  // Larger than a consumer accepts: it was never parsed, and is not parsed now.
  const body = content.length <= limits.limits.maxBytes ? parseObject(content) : undefined;
  if (!body) return { original };
  if (content.length <= limits.faultBodyMaxBytes && fitsInFault(body, limits.limits)) {
    return { message: body, original: { ...original, carried: true } };
  }
  const messageExcerpt = excerpt(body, limits.faultBodyMaxBytes);
  return Object.keys(messageExcerpt).length > 0 ? { messageExcerpt, original } : { original };
}

/** Inside a fault the body is one level deeper: it must pass a consumer's limits with a level to spare. */
function fitsInFault(body: Record<string, unknown>, limits: InputLimits): boolean {
  try {
    checkInputLimits(body, { ...limits, maxDepth: limits.maxDepth - 1 });
    return true;
  } catch {
    return false;
  }
}

/** The body's top-level short texts, numbers and booleans, in order, within `maxBytes` of JSON. */
function excerpt(body: Record<string, unknown>, maxBytes: number): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  let bytes = 2;
  let count = 0;
  for (const key of Object.keys(body)) {
    if (count >= EXCERPT_MAX_FIELDS) break;
    if (key.length > EXCERPT_MAX_KEY || RESERVED_KEYS.has(key) || !isWellFormedText(key)) continue;
    const value = body[key];
    const plain =
      (typeof value === 'string' && value.length <= EXCERPT_MAX_TEXT && isWellFormedText(value)) ||
      (typeof value === 'number' && Number.isFinite(value)) ||
      typeof value === 'boolean';
    if (!plain) continue;
    const size = Buffer.byteLength(JSON.stringify(key)) + Buffer.byteLength(JSON.stringify(value)) + 2;
    if (bytes + size > maxBytes) break;
    fields[key] = value;
    bytes += size;
    count++;
  }
  return fields;
}

function parseObject(content: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(content.toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
