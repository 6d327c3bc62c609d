// Finds the @MessageHandler methods of the application's providers and controllers, and reads each one's policies. The
// Nest microservices transport turns its @EventPattern and @MessagePattern handlers into definitions here too (define).
import { Inject, Injectable } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { MessagingConfigError } from '@app/messaging-core';
import type { IdempotentOptions } from '../idempotency/idempotent.decorator';
import { IDEMPOTENT_METADATA, MESSAGE_HANDLER_METADATA, MESSAGING_OPTIONS, RETRYABLE_METADATA } from '../messaging.constants';
import { resolveRetry, type ResolvedMessagingOptions } from '../options/messaging-options';
import { retryableClassifier, type RetryableOptions } from '../retry/retryable.decorator';
import { ORDERING_BUCKETS, TopologyNames } from '../topology/topology-names';
import type { HandlerDefinition, HandlerKind } from './handler-definition';
import type { MessageHandlerMetadata } from './message-handler.decorator';

@Injectable()
export class HandlerDiscovery {
  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly options: ResolvedMessagingOptions,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly names: TopologyNames,
  ) {}

  /** Every handler of the application; throws MessagingConfigError for two handlers of one queue or a bad policy. */
  discover(): HandlerDefinition[] {
    const definitions: HandlerDefinition[] = [];
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
      for (const methodName of this.scanner.getAllMethodNames(prototype)) {
        const method = prototype[methodName];
        if (typeof method !== 'function') continue;
        const metadata = Reflect.getMetadata(MESSAGE_HANDLER_METADATA, method) as MessageHandlerMetadata | undefined;
        if (metadata) definitions.push(this.define(instance, methodName, metadata));
      }
    }
    assertOneHandlerPerQueue(definitions);
    return definitions;
  }

  /**
   * The definition of one handler method, whichever decorator declared it: its queue, and the policies of its
   * @Retryable and @Idempotent decorators and of the module. Throws MessagingConfigError for a bad policy.
   */
  define(instance: object, methodName: string, metadata: MessageHandlerMetadata, kind: HandlerKind = 'message'): HandlerDefinition {
    const name = `${instance.constructor.name}.${methodName}`;
    const method = (Object.getPrototypeOf(instance) as Record<string, object>)[methodName];
    const retryable = Reflect.getMetadata(RETRYABLE_METADATA, method) as RetryableOptions | undefined;
    const idempotent = Reflect.getMetadata(IDEMPOTENT_METADATA, method) as IdempotentOptions<object> | undefined;
    const prefetch = metadata.prefetch ?? this.options.prefetch;
    if (!Number.isInteger(prefetch) || prefetch < 1 || prefetch > 65_535) {
      throw new MessagingConfigError(`${name} prefetch`, `must be an integer from 1 to 65535, got ${String(prefetch)}`);
    }
    const { dependsOn, queue } = metadata;
    if (queue !== undefined && (typeof queue !== 'string' || queue === '')) {
      throw new MessagingConfigError(`${name} queue`, `must be a queue name, got ${JSON.stringify(queue)}`);
    }
    if (dependsOn !== undefined && (!Array.isArray(dependsOn) || !dependsOn.every((name) => typeof name === 'string' && name !== ''))) {
      throw new MessagingConfigError(`${name} dependsOn`, 'must be a list of dependency names, e.g. ["database"]');
    }
    const handlerRule = retryable ? retryableClassifier(retryable) : undefined;
    return {
      name,
      instance,
      methodName,
      messageClass: metadata.messageClass,
      queue: queue ?? this.names.handlerQueue(metadata.messageClass.messageType),
      prefetch,
      retry: resolveRetry(retryable, this.options.retry, `@Retryable of ${name}`),
      classifiers: [...(handlerRule ? [handlerRule] : []), ...this.options.errorClassifiers],
      idempotent,
      dependsOn,
      kind,
      ...orderedOf(name, metadata.ordered),
    };
  }
}

/** Partitions of an ordered handler when none are given. */
export const DEFAULT_PARTITIONS = 8;

/** The `ordered` option resolved (absent for a handler that is not ordered); throws MessagingConfigError for a bad one. */
function orderedOf(name: string, ordered: MessageHandlerMetadata['ordered']): Pick<HandlerDefinition, 'ordered'> {
  if (ordered === undefined || ordered === false) return {};
  const partitions = ordered === true ? DEFAULT_PARTITIONS : (ordered.partitions ?? DEFAULT_PARTITIONS);
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > ORDERING_BUCKETS) {
    throw new MessagingConfigError(
      `${name} ordered.partitions`,
      `must be an integer from 1 to ${ORDERING_BUCKETS}, got ${String(partitions)}`,
    );
  }
  return { ordered: { partitions } };
}

/** Throws MessagingConfigError when two handlers consume one queue. */
export function assertOneHandlerPerQueue(definitions: readonly HandlerDefinition[]): void {
  const seen = new Map<string, string>();
  for (const { queue, name } of definitions) {
    const other = seen.get(queue);
    if (other) {
      throw new MessagingConfigError('queue', `handlers ${other} and ${name} both consume "${queue}"; give one a queue of its own`);
    }
    seen.set(queue, name);
  }
}
