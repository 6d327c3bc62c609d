// Specs for the HTTP side of the input limits: a body past a limit is refused with 413, one that breaks a rule with
// 400, each with the reason, before any handler sees it; options are checked at start.
import { BadRequestException, PayloadTooLargeException } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConfigError, DEFAULT_INPUT_LIMITS } from '@app/messaging-core';
import { InputLimitsMiddleware } from './input-limits.middleware';
import { resolveHttpInputLimits } from './input-limits.module';

function run(body: unknown) {
  const middleware = new InputLimitsMiddleware({ ...DEFAULT_INPUT_LIMITS, maxDepth: 4, maxStringLength: 10, maxArrayLength: 3 });
  const next = jest.fn();
  const request = { body } as IncomingMessage & { body?: unknown };
  let thrown: unknown;
  try {
    middleware.use(request, {} as ServerResponse, next);
  } catch (error) {
    thrown = error;
  }
  return { next, thrown };
}

describe('InputLimitsMiddleware', () => {
  it('lets a body within the limits through, and a request without a body', () => {
    expect(run({ a: [1, 2, { b: 'ok' }] }).next).toHaveBeenCalledTimes(1);
    expect(run(undefined).next).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['too deep', { a: { b: { c: { d: {} } } } }, /nested deeper than the limit of 4 levels/],
    ['a string too long', { note: 'x'.repeat(11) }, /more than the limit of 10/],
    ['an array too long', { items: [1, 2, 3, 4] }, /more than the limit of 3/],
  ])('answers 413 with the reason to a body %s', (_case, body, reason) => {
    const { next, thrown } = run(body);

    expect(thrown).toBeInstanceOf(PayloadTooLargeException);
    expect((thrown as PayloadTooLargeException).message).toMatch(reason);
    expect(next).not.toHaveBeenCalled();
  });

  it.each([
    ['a __proto__ key', JSON.parse('{"__proto__":{"isAdmin":true}}') as unknown, /Key "__proto__" at \(body\) is not allowed/],
    ['a constructor key', { items: [{ constructor: { prototype: 1 } }] }, /Key "constructor"/],
    ['an unpaired surrogate', { email: 'a\ud800@x' }, /not well-formed Unicode/],
  ])('answers 400 with the reason to a body with %s', (_case, body, reason) => {
    const { thrown } = run(body);

    expect(thrown).toBeInstanceOf(BadRequestException);
    expect((thrown as BadRequestException).message).toMatch(reason);
  });
});

describe('resolveHttpInputLimits', () => {
  it('keeps the defaults shared with the consumers unless told', () => {
    expect(resolveHttpInputLimits()).toEqual(DEFAULT_INPUT_LIMITS);
    expect(resolveHttpInputLimits({ maxBytes: 10_000 })).toEqual({ ...DEFAULT_INPUT_LIMITS, maxBytes: 10_000 });
  });

  it('stops the start with a ConfigError naming a wrong limit', () => {
    expect(() => resolveHttpInputLimits({ maxDepth: 0 })).toThrow(ConfigError);
    expect(() => resolveHttpInputLimits({ maxDepth: 0 })).toThrow(
      'Invalid input limit "inputLimits.maxDepth": must be an integer from 2 to 1000, got 0',
    );
  });
});
