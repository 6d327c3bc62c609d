// Specs for the input limits both doors share: each limit and rule refuses with its name and the place in the body,
// the walk has no recursion of its own, and options are checked with the key named.
import fc from 'fast-check';
import { ConfigError } from '../errors/config-errors';
import { MessageDecodeError } from '../errors/message-errors';
import {
  checkInputLimits,
  checkInputSize,
  DEFAULT_INPUT_LIMITS,
  InputLimitError,
  isWellFormedText,
  resolveInputLimits,
  type InputLimits,
} from './input-limits';

const LIMITS: InputLimits = { maxBytes: 1000, maxDepth: 4, maxStringLength: 10, maxArrayLength: 3 };

function refusal(value: unknown, limits: InputLimits = LIMITS): InputLimitError {
  try {
    checkInputLimits(value, limits);
  } catch (error) {
    expect(error).toBeInstanceOf(InputLimitError);
    return error as InputLimitError;
  }
  throw new Error('the value was accepted');
}

/** `{"a":{"a":...}}` nested `levels` deep, written as text and parsed (JSON.parse has no recursion limit of its own). */
function nested(levels: number): unknown {
  return JSON.parse(`${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`);
}

describe('checkInputLimits', () => {
  it('accepts a value within every limit', () => {
    expect(() => checkInputLimits({ id: 'x', items: [1, 2, { sku: 'ab' }], flag: true, none: null }, LIMITS)).not.toThrow();
  });

  it('refuses a value nested deeper than maxDepth, naming the place, as a decode error (dead-lettered as validation)', () => {
    const error = refusal({ a: { b: { c: { d: {} } } } });

    expect(error.rule).toBe('maxDepth');
    expect(error.path).toBe('a.b.c.d');
    expect(error.isSizeLimit).toBe(true);
    expect(error).toBeInstanceOf(MessageDecodeError);
    expect(error.message).toMatch(/nested deeper than the limit of 4 levels at a\.b\.c\.d/);
  });

  it('accepts exactly maxDepth levels, counting arrays as levels and the body as the first', () => {
    expect(() => checkInputLimits({ a: [{ b: 'x' }] }, LIMITS)).not.toThrow();
    expect(() => checkInputLimits({ a: [{ b: [] }] }, LIMITS)).not.toThrow();
    expect(refusal({ a: [{ b: [[]] }] }).rule).toBe('maxDepth');
  });

  it('walks a value 100000 levels deep without overflowing the stack', () => {
    const error = refusal(nested(100_000), DEFAULT_INPUT_LIMITS);

    expect(error.rule).toBe('maxDepth');
    expect(error.message.length).toBeLessThan(400);
  });

  it('refuses a string value or a key longer than maxStringLength', () => {
    expect(refusal({ note: 'x'.repeat(11) })).toMatchObject({ rule: 'maxStringLength', path: 'note' });
    expect(refusal({ ['k'.repeat(11)]: 1 })).toMatchObject({ rule: 'maxStringLength', path: '(body)' });
  });

  it('refuses an array longer than maxArrayLength', () => {
    expect(refusal({ items: [1, 2, 3, 4] })).toMatchObject({ rule: 'maxArrayLength', path: 'items' });
  });

  it.each(['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__'])(
    'refuses the reserved key %s anywhere, as a rule rather than a size',
    (key) => {
      const error = refusal(JSON.parse(`{"items":[{"${key}":{"polluted":true}}]}`));

      expect(error.rule).toBe('reservedKey');
      expect(error.isSizeLimit).toBe(false);
      expect(error.message).toContain(`"${key}"`);
    },
  );

  it('refuses strings and keys with an unpaired surrogate, which no UTF-8 can carry', () => {
    expect(refusal({ email: 'a\ud800@ex.io' })).toMatchObject({ rule: 'malformedText', path: 'email', isSizeLimit: false });
    expect(refusal(JSON.parse('{"\\udc00":1}'))).toMatchObject({ rule: 'malformedText' });
    expect(() => checkInputLimits({ emoji: '☕🎉' }, LIMITS)).not.toThrow();
  });

  it('cuts long keys in the path it reports', () => {
    const limits = { ...LIMITS, maxStringLength: 1000 };
    const error = refusal({ ['k'.repeat(500)]: 'x'.repeat(1001) }, limits);

    expect(error.path.length).toBeLessThan(80);
  });

  it('never throws anything but InputLimitError, on any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8, stringUnit: 'binary' }), (value) => {
        try {
          checkInputLimits(value, LIMITS);
        } catch (error) {
          expect(error).toBeInstanceOf(InputLimitError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('checkInputSize', () => {
  it('refuses a body over maxBytes and accepts one at it', () => {
    expect(() => checkInputSize(1000, LIMITS)).not.toThrow();
    expect(() => checkInputSize(1001, LIMITS)).toThrow(/Body of 1001 bytes exceeds the limit of 1000 bytes/);
  });
});

describe('isWellFormedText', () => {
  it('tells lone surrogates from pairs', () => {
    expect(isWellFormedText('a\ud83d\ude00b')).toBe(true);
    expect(isWellFormedText('a\ud83db')).toBe(false);
    expect(isWellFormedText('\ude00')).toBe(false);
  });
});

describe('resolveInputLimits', () => {
  const fail = (key: string, problem: string) => new ConfigError(`limits.${key} ${problem}`);

  it('fills what is not given from the defaults', () => {
    expect(resolveInputLimits({ maxDepth: 10 }, fail)).toEqual({ ...DEFAULT_INPUT_LIMITS, maxDepth: 10 });
    expect(resolveInputLimits(undefined, fail)).toEqual(DEFAULT_INPUT_LIMITS);
  });

  it.each<[Partial<InputLimits>, RegExp]>([
    [{ maxDepth: 1 }, /limits\.maxDepth must be an integer from 2 to 1000, got 1/],
    [{ maxDepth: 5000 }, /limits\.maxDepth/],
    [{ maxBytes: 0 }, /limits\.maxBytes/],
    [{ maxStringLength: 1.5 }, /limits\.maxStringLength/],
    [{ maxArrayLength: Number.NaN }, /limits\.maxArrayLength/],
    [{ maxDepht: 3 } as Partial<InputLimits>, /limits\.maxDepht is not a limit/],
  ])('refuses %p, naming the key', (given, message) => {
    expect(() => resolveInputLimits(given, fail)).toThrow(message);
  });
});
