import { BadRequestException } from '@nestjs/common';
import type { ErrorClassifier } from '../errors/classify-error';
import {
  DependencyUnavailableError,
  MessageDecodeError,
  MessageValidationError,
  PermanentError,
  TransientError,
} from '@app/messaging-core';
import { RedeliveryLimitError } from '../errors/redelivery-limit-error';
import type { ResolvedMessagingOptions } from '../options/messaging-options';
import { decideOutcome, DEFER_DELAY_MS, type OutcomePolicy } from './outcome';

const retry: ResolvedMessagingOptions['retry'] = {
  maxAttempts: 4,
  backoff: { initialMs: 1000, factor: 2, maxMs: 60_000, jitter: 'none' },
};

function policyWith(overrides: Partial<OutcomePolicy> = {}): OutcomePolicy {
  return { retry, classifiers: [], ...overrides };
}

const invalid = new MessageValidationError('order.created', [{ path: 'orderId', reasons: ['must be a UUID'] }]);

describe('decideOutcome', () => {
  it('never acks: it decides the fate of a failed delivery only', () => {
    const errors: unknown[] = [invalid, new PermanentError('p'), new TransientError('t'), new Error('e'), 'thrown text'];

    for (const error of errors) {
      for (const attempt of [1, 2, 4, 9]) {
        expect(decideOutcome(error, attempt, policyWith()).action).not.toBe('ack');
      }
    }
  });

  it('dead-letters a message that fails validation on its first delivery, with reason validation', () => {
    expect(decideOutcome(invalid, 1, policyWith())).toEqual({ action: 'dead-letter', reason: 'validation', error: invalid });
  });

  it('dead-letters an undecodable delivery at once, with reason validation', () => {
    const error = new MessageDecodeError('Body is not valid JSON');

    expect(decideOutcome(error, 1, policyWith())).toEqual({ action: 'dead-letter', reason: 'validation', error });
  });

  it('dead-letters a permanent error on its first delivery, with reason permanent', () => {
    const error = new PermanentError('customer was deleted');

    expect(decideOutcome(error, 1, policyWith())).toEqual({ action: 'dead-letter', reason: 'permanent', error });
  });

  it('dead-letters a 4xx HTTP error from a downstream call as permanent', () => {
    const error = new BadRequestException();

    expect(decideOutcome(error, 1, policyWith())).toMatchObject({ action: 'dead-letter', reason: 'permanent' });
  });

  it('retries a transient error below maxAttempts, after the backoff delay of that attempt', () => {
    const error = new TransientError('database busy');

    expect(decideOutcome(error, 1, policyWith())).toEqual({ action: 'retry', delayMs: 1000, error });
    expect(decideOutcome(error, 2, policyWith())).toEqual({ action: 'retry', delayMs: 2000, error });
    expect(decideOutcome(error, 3, policyWith())).toEqual({ action: 'retry', delayMs: 4000, error });
  });

  it('retries an unknown error, which is transient', () => {
    expect(decideOutcome(new Error('odd'), 1, policyWith()).action).toBe('retry');
  });

  it('dead-letters a transient error as exhausted on the last allowed attempt', () => {
    const error = new TransientError('database busy');

    expect(decideOutcome(error, 4, policyWith())).toEqual({ action: 'dead-letter', reason: 'exhausted', error });
  });

  it('dead-letters as exhausted a delivery already past maxAttempts (the policy was lowered meanwhile)', () => {
    expect(decideOutcome(new TransientError('t'), 7, policyWith())).toMatchObject({ action: 'dead-letter', reason: 'exhausted' });
  });

  it('never retries when maxAttempts is 1', () => {
    const policy = policyWith({ retry: { ...retry, maxAttempts: 1 } });

    expect(decideOutcome(new TransientError('t'), 1, policy)).toMatchObject({ action: 'dead-letter', reason: 'exhausted' });
  });

  it('draws the retry delay with the random source of the policy', () => {
    const policy = policyWith({
      retry: { ...retry, backoff: { ...retry.backoff, jitter: 'full' } },
      random: () => 0.5,
    });

    expect(decideOutcome(new TransientError('t'), 3, policy)).toMatchObject({ action: 'retry', delayMs: 2000 });
  });

  it('applies the classifiers of the policy before the library rules', () => {
    class StockMissing extends Error {}
    const stockMissingIsPermanent: ErrorClassifier = (error) => (error instanceof StockMissing ? 'permanent' : undefined);
    const retryValidation: ErrorClassifier = (error) => (error instanceof MessageValidationError ? 'transient' : undefined);
    const policy = policyWith({ classifiers: [stockMissingIsPermanent, retryValidation] });

    expect(decideOutcome(new StockMissing('sku-1'), 1, policy)).toMatchObject({ action: 'dead-letter', reason: 'permanent' });
    expect(decideOutcome(invalid, 1, policy)).toMatchObject({ action: 'retry' });
  });
});

describe('decideOutcome for a consumer crash loop', () => {
  it('dead-letters a delivery past the redelivery limit with reason redelivery-limit, whatever the rules say', () => {
    const error = new RedeliveryLimitError('Redelivered 11 times');
    const retryEverything: ErrorClassifier = () => 'transient';

    expect(decideOutcome(error, 1, policyWith({ classifiers: [retryEverything] }))).toEqual({
      action: 'dead-letter',
      reason: 'redelivery-limit',
      error,
    });
  });
});

describe('decideOutcome for a dependency outage', () => {
  const outage = new DependencyUnavailableError('database', 'the database connection was lost');

  it('defers it without counting an attempt, naming the dependency, even on the last attempt', () => {
    expect(decideOutcome(outage, 1, policyWith())).toEqual({
      action: 'defer',
      delayMs: DEFER_DELAY_MS,
      dependency: 'database',
      error: outage,
    });
    expect(decideOutcome(outage, retry.maxAttempts, policyWith())).toMatchObject({ action: 'defer' });
  });

  it('finds the outage in the causes of what the handler threw (a query wrapper around the driver)', () => {
    const wrapped = new Error('Failed query: commit', { cause: outage });

    expect(decideOutcome(wrapped, 2, policyWith())).toMatchObject({ action: 'defer', dependency: 'database', error: wrapped });
  });

  it('defers it whatever the rules of the application say: an outage is nobody’s fault', () => {
    const everythingPermanent: ErrorClassifier = () => 'permanent';

    expect(decideOutcome(outage, 1, policyWith({ classifiers: [everythingPermanent] }))).toMatchObject({ action: 'defer' });
  });
});
