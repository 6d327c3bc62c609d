// @Retryable: the retry policy of one handler, over the module's default. It only records metadata.
import type { ErrorClassifier } from '../errors/classify-error';
import { RETRYABLE_METADATA } from '../messaging.constants';
import type { BackoffOptions } from '../options/messaging-options';

type ErrorClass = abstract new (...args: never[]) => Error;

export interface RetryableOptions {
  /** Deliveries in all, the first included. */
  maxAttempts?: number;
  backoff?: BackoffOptions;
  /** Errors of these classes are retried even where the default rules would dead-letter them. */
  retryOn?: ErrorClass[];
  /** Errors of these classes are dead-lettered at once. */
  noRetryOn?: ErrorClass[];
}

export function Retryable(options: RetryableOptions = {}): MethodDecorator {
  return (_target, _key, descriptor) => {
    Reflect.defineMetadata(RETRYABLE_METADATA, options, descriptor.value as object);
    return descriptor;
  };
}

/** The handler-level classification that retryOn / noRetryOn express. noRetryOn wins where both match. */
export function retryableClassifier(options: RetryableOptions): ErrorClassifier | undefined {
  const { retryOn = [], noRetryOn = [] } = options;
  if (retryOn.length === 0 && noRetryOn.length === 0) return undefined;
  return (error) => {
    if (noRetryOn.some((type) => error instanceof type)) return 'permanent';
    if (retryOn.some((type) => error instanceof type)) return 'transient';
    return undefined;
  };
}
