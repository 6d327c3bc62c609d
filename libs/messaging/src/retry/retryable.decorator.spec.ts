import 'reflect-metadata';
import { RETRYABLE_METADATA } from '../messaging.constants';
import { Retryable, retryableClassifier, type RetryableOptions } from './retryable.decorator';

class RateLimited extends Error {}
class InvalidCoupon extends Error {}
class ExpiredCoupon extends InvalidCoupon {}

describe('@Retryable', () => {
  it('records its options on the decorated method', () => {
    const options: RetryableOptions = { maxAttempts: 6, backoff: { initialMs: 100, jitter: 'none' }, retryOn: [RateLimited] };
    class PaymentHandler {
      @Retryable(options)
      onPayment(): void {}
    }

    expect(Reflect.getMetadata(RETRYABLE_METADATA, PaymentHandler.prototype.onPayment)).toEqual(options);
  });

  it('records empty options when called without any', () => {
    class PaymentHandler {
      @Retryable()
      onPayment(): void {}
    }

    expect(Reflect.getMetadata(RETRYABLE_METADATA, PaymentHandler.prototype.onPayment)).toEqual({});
  });

  it('marks only the decorated method', () => {
    class PaymentHandler {
      @Retryable({ maxAttempts: 2 })
      onPayment(): void {}

      other(): void {}
    }

    expect(Reflect.getMetadata(RETRYABLE_METADATA, PaymentHandler.prototype.other)).toBeUndefined();
  });
});

describe('retryableClassifier', () => {
  it('is undefined when neither retryOn nor noRetryOn is given', () => {
    expect(retryableClassifier({})).toBeUndefined();
    expect(retryableClassifier({ maxAttempts: 3, retryOn: [], noRetryOn: [] })).toBeUndefined();
  });

  it('makes errors of a retryOn class transient', () => {
    const classify = retryableClassifier({ retryOn: [RateLimited] })!;

    expect(classify(new RateLimited('slow down'))).toBe('transient');
  });

  it('makes errors of a noRetryOn class, and of its subclasses, permanent', () => {
    const classify = retryableClassifier({ noRetryOn: [InvalidCoupon] })!;

    expect(classify(new InvalidCoupon('unknown coupon'))).toBe('permanent');
    expect(classify(new ExpiredCoupon('expired'))).toBe('permanent');
  });

  it('lets noRetryOn win over retryOn when an error matches both', () => {
    const classify = retryableClassifier({ retryOn: [InvalidCoupon], noRetryOn: [ExpiredCoupon] })!;

    expect(classify(new ExpiredCoupon('expired'))).toBe('permanent');
    expect(classify(new InvalidCoupon('unknown'))).toBe('transient');
  });

  it('leaves other errors to the next rules', () => {
    const classify = retryableClassifier({ retryOn: [RateLimited], noRetryOn: [InvalidCoupon] })!;

    expect(classify(new Error('other'))).toBeUndefined();
    expect(classify('thrown text')).toBeUndefined();
  });
});
