// An operator's edit of a dead letter's body: read as a JSON object within the consumer's input limits, with the
// values that were shown masked (personal data) and left as they were put back to the originals.
import {
  checkInputLimits,
  checkInputSize,
  InputLimitError,
  maskSensitive,
  type InputLimits,
  type ValidationIssue,
} from '@app/messaging-core';

/** The edited body as the console shows it first: the dead letter's JSON with personal data masked. */
export function maskedForEditing(original: unknown): unknown {
  return maskSensitive(original);
}

/**
 * The edited JSON text as the object to send, or the issues that refuse it. A value the edit left exactly as the
 * masked view showed it is the original value again (an operator fixing one field must not replace an e-mail address
 * by its mask); a value the operator changed is taken as typed.
 */
export function readEditedBody(
  text: string,
  original: unknown,
  limits: InputLimits,
): { body: Record<string, unknown>; content: Buffer } | { issues: ValidationIssue[] } {
  let parsed: unknown;
  try {
    checkInputSize(Buffer.byteLength(text, 'utf8'), limits);
    parsed = JSON.parse(text);
  } catch (error) {
    if (error instanceof InputLimitError) return { issues: [{ path: error.path, reasons: [error.message] }] };
    return { issues: [{ path: '(body)', reasons: [`is not valid JSON (${(error as Error).message})`] }] };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { issues: [{ path: '(body)', reasons: ['must be a JSON object'] }] };
  }
  const body = restoreMasked(parsed, original) as Record<string, unknown>;
  const content = Buffer.from(JSON.stringify(body), 'utf8');
  try {
    // The consumer's own checks, on what it will receive: a restored value may be longer than its mask.
    checkInputLimits(body, limits);
    checkInputSize(content.length, limits);
  } catch (error) {
    if (error instanceof InputLimitError) return { issues: [{ path: error.path, reasons: [error.message] }] };
    throw error;
  }
  return { body, content };
}

/** `edited` with every part that equals the masked view of the same part of `original` replaced by the original. */
export function restoreMasked(edited: unknown, original: unknown, key?: string): unknown {
  if (original !== undefined && sameJson(edited, maskedAt(original, key)) && !sameJson(edited, original)) return original;
  if (isRecord(edited) && isRecord(original)) {
    return Object.fromEntries(Object.entries(edited).map(([name, value]) => [name, restoreMasked(value, original[name], name)]));
  }
  if (Array.isArray(edited) && Array.isArray(original)) {
    return edited.map((value, index) => restoreMasked(value, original[index], key));
  }
  return edited;
}

/** The masked view of a value found under `key` (a @Sensitive field name masks the whole value). */
function maskedAt(value: unknown, key: string | undefined): unknown {
  return key === undefined ? maskSensitive(value) : (maskSensitive({ [key]: value }) as Record<string, unknown>)[key];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
