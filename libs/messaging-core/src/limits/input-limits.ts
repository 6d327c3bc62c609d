// Limits on untrusted input (an HTTP body, a message body), checked once it is parsed and before any expensive or
// recursive work (class-transformer, class-validator, a database write), the same at both doors: the service kit's
// HTTP middleware and the messaging library's decode step call checkInputLimits with limits resolved here.
import type { ConfigError } from '../errors/config-errors';
import { MessageDecodeError } from '../errors/message-errors';

export interface InputLimits {
  /** Largest body, in bytes. Default 1 MiB. */
  maxBytes: number;
  /** Deepest nesting of objects and arrays; the body itself is depth 1. Default 32. */
  maxDepth: number;
  /** Longest string, value or key, in UTF-16 code units. Default 65536. */
  maxStringLength: number;
  /** Most elements in one array. Default 10000. */
  maxArrayLength: number;
}

export const DEFAULT_INPUT_LIMITS: Readonly<InputLimits> = Object.freeze({
  maxBytes: 1024 * 1024,
  maxDepth: 32,
  maxStringLength: 65_536,
  maxArrayLength: 10_000,
});

/** What each limit may be set to: a depth of at least 2 (an object with fields), and no more than JSON can carry. */
const RANGES: Record<keyof InputLimits, { min: number; max: number }> = {
  maxBytes: { min: 1, max: 512 * 1024 * 1024 },
  // Past a few thousand levels a recursive reader (class-transformer, JSON.stringify) overflows the stack.
  maxDepth: { min: 2, max: 1000 },
  maxStringLength: { min: 1, max: 512 * 1024 * 1024 },
  maxArrayLength: { min: 1, max: 100_000_000 },
};

/**
 * Merges `given` over `base` (the defaults unless told) and checks every key; `fail` makes the error that names the
 * wrong key as the caller's users know it (`limits.maxDepth` of MessagingModule, `inputLimits.maxDepth` of the kit).
 */
export function resolveInputLimits(
  given: Partial<InputLimits> | undefined,
  fail: (key: keyof InputLimits, problem: string) => ConfigError,
  base: Readonly<InputLimits> = DEFAULT_INPUT_LIMITS,
): InputLimits {
  const resolved: InputLimits = { ...base };
  for (const key of Object.keys(RANGES) as Array<keyof InputLimits>) {
    const value = given?.[key] ?? base[key];
    const { min, max } = RANGES[key];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw fail(key, `must be an integer from ${min} to ${max}, got ${String(value)}`);
    }
    resolved[key] = value;
  }
  const unknown = Object.keys(given ?? {}).filter((key) => !(key in RANGES));
  if (unknown.length > 0) throw fail(unknown[0] as keyof InputLimits, `is not a limit (the limits are ${Object.keys(RANGES).join(', ')})`);
  return resolved;
}

/** Which rule a body broke: one of the limits, or a rule no option lifts. */
export type InputRule = keyof InputLimits | 'reservedKey' | 'malformedText';

/**
 * Untrusted input broke a limit or a rule. A MessageDecodeError, so a message is dead-lettered at once as
 * `validation`; over HTTP the service kit answers 413 for a limit and 400 for a rule.
 */
export class InputLimitError extends MessageDecodeError {
  override readonly name: string = 'InputLimitError';
  constructor(
    readonly rule: InputRule,
    /** Where in the body, as a dotted path ("items.3.sku"); "(body)" for the whole. */
    readonly path: string,
    message: string,
  ) {
    super(message);
  }

  /** True for a limit (the input is too big or too deep), false for a rule about its content. */
  get isSizeLimit(): boolean {
    return this.rule !== 'reservedKey' && this.rule !== 'malformedText';
  }
}

/**
 * Keys that name a JavaScript object's machinery rather than data: `__proto__`, `constructor`, `prototype` and every
 * other member of Object.prototype (`toString`, `valueOf`, `hasOwnProperty`...). Plain assignment and class-transformer
 * would set an instance's prototype from `__proto__`, and class-transformer silently leaves out a key its class
 * inherits (so `toString` passed a whitelist that refuses every other unknown field); none is a field any message or
 * request declares.
 */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['prototype', ...Object.getOwnPropertyNames(Object.prototype)]);

// With the u flag a surrogate pair is one code point, so this matches lone (unpaired) surrogates only.
const LONE_SURROGATE = /\p{Cs}/u;

/** True when `text` is well-formed UTF-16: no unpaired surrogate, which no UTF-8 byte sequence can stand for. */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/** Throws InputLimitError when a body's size in bytes is over the limit; checked before anything reads it. */
export function checkInputSize(bytes: number, limits: Pick<InputLimits, 'maxBytes'>): void {
  if (bytes > limits.maxBytes) {
    throw new InputLimitError('maxBytes', '(body)', `Body of ${bytes} bytes exceeds the limit of ${limits.maxBytes} bytes`);
  }
}

/**
 * Walks a parsed JSON value without recursion (its own stack stays flat however deep the input) and throws
 * InputLimitError at the first value that is nested too deep, a string or key that is too long, not well-formed
 * text, an array that is too long, or a reserved key. Returns when the value is within every limit.
 */
export function checkInputLimits(value: unknown, limits: Omit<InputLimits, 'maxBytes'>): void {
  const pending: Array<{ value: unknown; depth: number; path: string }> = [{ value, depth: 1, path: '' }];
  for (let entry = pending.pop(); entry; entry = pending.pop()) {
    const { value: current, depth, path } = entry;
    if (typeof current === 'string') {
      checkText(current, path, 'string', limits);
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (depth > limits.maxDepth) {
      throw new InputLimitError(
        'maxDepth',
        shown(path),
        `Body is nested deeper than the limit of ${limits.maxDepth} levels at ${shown(path)}`,
      );
    }
    if (Array.isArray(current)) {
      if (current.length > limits.maxArrayLength) {
        throw new InputLimitError(
          'maxArrayLength',
          shown(path),
          `Array at ${shown(path)} has ${current.length} elements, more than the limit of ${limits.maxArrayLength}`,
        );
      }
      for (let index = current.length - 1; index >= 0; index--) {
        pending.push({ value: current[index] as unknown, depth: depth + 1, path: join(path, String(index)) });
      }
      continue;
    }
    for (const key of Object.keys(current)) {
      if (RESERVED_KEYS.has(key)) {
        throw new InputLimitError('reservedKey', shown(join(path, key)), `Key "${key}" at ${shown(path)} is not allowed`);
      }
      checkText(key, path, 'key', limits);
      pending.push({ value: (current as Record<string, unknown>)[key], depth: depth + 1, path: join(path, key) });
    }
  }
}

function checkText(text: string, path: string, what: 'string' | 'key', limits: Pick<InputLimits, 'maxStringLength'>): void {
  // Messages are worded only for an error: this runs for every key and string of every body.
  if (text.length > limits.maxStringLength) {
    throw new InputLimitError(
      'maxStringLength',
      shown(path),
      `${describe(what, path)} has ${text.length} characters, more than the limit of ${limits.maxStringLength}`,
    );
  }
  if (!isWellFormedText(text)) {
    throw new InputLimitError(
      'malformedText',
      shown(path),
      `${describe(what, path)} is not well-formed Unicode text (an unpaired surrogate)`,
    );
  }
}

function describe(what: 'string' | 'key', path: string): string {
  return what === 'key' ? `A key in ${shown(path)}` : `String at ${shown(path)}`;
}

function join(path: string, key: string): string {
  // A path repeats keys from the input: cut long ones, so that an error message stays short.
  const shortKey = key.length > 64 ? `${key.slice(0, 64)}…` : key;
  return path ? `${path}.${shortKey}` : shortKey;
}

function shown(path: string): string {
  if (!path) return '(body)';
  return path.length > 200 ? `${path.slice(0, 200)}…` : path;
}
