// What the library knows of one message handler once it has been found: the method, its queue and its policies.
import type { MessageClass } from '@app/messaging-core';
import type { ErrorClassifier } from '../errors/classify-error';
import type { IdempotentOptions } from '../idempotency/idempotent.decorator';
import type { ResolvedRetry } from '../options/messaging-options';

/**
 * How a handler was declared: `@MessageHandler` ('message'), or through the Nest microservices transport,
 * `@EventPattern` ('event') or `@MessagePattern` ('request': its result, or its error, is the reply to a request).
 */
export type HandlerKind = 'message' | 'event' | 'request';

export interface HandlerDefinition {
  /** `Class.method`, for logs and the x-handler header. */
  readonly name: string;
  /** The provider instance and the name of its decorated method. */
  readonly instance: object;
  readonly methodName: string;
  readonly messageClass: MessageClass;
  readonly queue: string;
  /** Unacknowledged deliveries at once. */
  readonly prefetch: number;
  readonly retry: ResolvedRetry;
  /** Handler rules first, then the module's; the library's own rules come last (see classifyError). */
  readonly classifiers: readonly ErrorClassifier[];
  /** Present on handlers marked @Idempotent. */
  readonly idempotent?: IdempotentOptions<object>;
  /** The dependencies it declared (`@MessageHandler(T, { dependsOn })`); undefined: the application's defaults. */
  readonly dependsOn?: readonly string[];
  /** How it was declared; undefined is 'message' (@MessageHandler). */
  readonly kind?: HandlerKind;
  /** Present on ordered handlers (`@MessageHandler(T, { ordered })`): messages of one key in publish order. */
  readonly ordered?: { readonly partitions: number };
}
