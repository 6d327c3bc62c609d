// First step of the consume path: reads the raw body as a JSON object within the input limits, or says exactly why
// it cannot. The limits are the ones the HTTP side applies too (InputLimits, from @app/messaging-core).
import type { ConsumeMessage } from 'amqplib';
import { checkInputLimits, checkInputSize, DEFAULT_INPUT_LIMITS, MessageDecodeError, type InputLimits } from '@app/messaging-core';
import { deliveredProperties } from './delivered-properties';

const JSON_CONTENT_TYPE = /^application\/([a-z0-9.+-]+\+)?json\s*(;\s*charset\s*=\s*"?utf-?8"?\s*)?$/i;

/** `limits` as a number is the byte limit alone, with the default limits on the body's shape. */
export function decodeBody(raw: ConsumeMessage, limits: InputLimits | number): unknown {
  const resolved = typeof limits === 'number' ? { ...DEFAULT_INPUT_LIMITS, maxBytes: limits } : limits;
  const { contentType, contentEncoding } = deliveredProperties(raw);
  // A missing content type is read as JSON: many producers leave it out, and a parse failure still dead-letters.
  if (contentType !== undefined && !JSON_CONTENT_TYPE.test(String(contentType))) {
    throw new MessageDecodeError(`Unsupported content type "${String(contentType)}"; expected application/json`);
  }
  if (contentEncoding !== undefined && !/^(utf-?8|identity)$/i.test(String(contentEncoding))) {
    throw new MessageDecodeError(`Unsupported content encoding "${String(contentEncoding)}"`);
  }
  checkInputSize(raw.content.length, resolved);
  let body: unknown;
  try {
    body = JSON.parse(raw.content.toString('utf8'));
  } catch {
    // The parser's own message quotes the body; bodies may hold personal data, so only the size is reported.
    throw new MessageDecodeError(`Body is not valid JSON (${raw.content.length} bytes)`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new MessageDecodeError('Body must be a JSON object');
  }
  // Before anything recursive reads it (class-transformer, a fault's JSON.stringify): JSON.parse itself is not.
  checkInputLimits(body, resolved);
  return body;
}
