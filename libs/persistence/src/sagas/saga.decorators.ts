// @Saga, @StartedBy and @Handles: a long-running process as one class. They only record metadata; SagaExplorer reads
// it and turns each decorated method into a message handler that loads, moves and saves the instance.
import { assertMessageClass, type MessageClass } from '@app/messaging';

/** What happens to a message whose instance does not exist: dropped with a log line, or dead-lettered with the reason. */
export type MissingSagaPolicy = 'ignore' | 'dead-letter';

export interface SagaOptions {
  /** The saga's type, stored with each instance and shown to operators, e.g. "order-notification". */
  name: string;
  /** For @Handles messages whose instance does not exist. Default 'dead-letter'. */
  missing?: MissingSagaPolicy;
}

export interface SagaMessageOptions<T> {
  /**
   * The correlation key of the instance the message belongs to, taken from the message (e.g. `(m) => m.orderId`). A
   * message whose key is undefined or empty names no instance: it is treated as one whose instance is missing.
   */
  key: (message: T) => string | undefined;
  /** Queue to consume. Default `<service>.<message-type>`. */
  queue?: string;
  /** Unacknowledged deliveries at once. Default: the module's prefetch. */
  prefetch?: number;
}

export interface SagaHandlesOptions<T> extends SagaMessageOptions<T> {
  /** Overrides the saga's `missing` for this message. */
  missing?: MissingSagaPolicy;
}

export interface SagaStepMetadata {
  messageClass: MessageClass;
  /** @StartedBy: a message that creates the instance when there is none. */
  starts: boolean;
  key: (message: object) => string | undefined;
  queue?: string;
  prefetch?: number;
  missing?: MissingSagaPolicy;
}

export const SAGA_METADATA = 'persistence:saga';
export const SAGA_STEP_METADATA = 'persistence:saga-step';

/** Marks a provider as a saga. Its @StartedBy and @Handles methods are its handlers. */
export function Saga(options: SagaOptions): ClassDecorator {
  if (!options || typeof options.name !== 'string' || !/^[a-z0-9][a-z0-9.-]*$/.test(options.name)) {
    throw new TypeError('@Saga needs a name of lowercase words, e.g. @Saga({ name: "order-notification" })');
  }
  return (target) => {
    Reflect.defineMetadata(SAGA_METADATA, options, target);
  };
}

/**
 * The method runs for `messageClass`, creating the instance of the message's key when there is none (`saga.isNew`
 * tells). Signature: `(message, saga: SagaInstance<Data>, context: MessageContext)`.
 */
export function StartedBy<T extends object>(messageClass: MessageClass<T>, options: SagaMessageOptions<T>): MethodDecorator {
  return step(messageClass, options, true);
}

/** The method runs for `messageClass` on the existing instance of the message's key. Same signature as @StartedBy. */
export function Handles<T extends object>(messageClass: MessageClass<T>, options: SagaHandlesOptions<T>): MethodDecorator {
  return step(messageClass, options, false);
}

function step<T extends object>(messageClass: MessageClass<T>, options: SagaHandlesOptions<T>, starts: boolean): MethodDecorator {
  assertMessageClass(messageClass);
  if (typeof options?.key !== 'function')
    throw new TypeError(`A saga's handler of ${messageClass.messageType} needs key: (message) => string`);
  const metadata: SagaStepMetadata = { ...options, messageClass, starts, key: options.key as (message: object) => string | undefined };
  return (_target, _key, descriptor) => {
    Reflect.defineMetadata(SAGA_STEP_METADATA, metadata, descriptor.value as object);
    return descriptor;
  };
}
