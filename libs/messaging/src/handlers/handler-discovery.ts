// Finds the @MessageHandler methods of the application's providers and controllers, and reads each one's policies.
import { Inject, Injectable } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { MessagingConfigError } from '@app/messaging-core';
import type { IdempotentOptions } from '../idempotency/idempotent.decorator';
import { IDEMPOTENT_METADATA, MESSAGE_HANDLER_METADATA, MESSAGING_OPTIONS, RETRYABLE_METADATA } from '../messaging.constants';
import { resolveRetry, type ResolvedMessagingOptions } from '../options/messaging-options';
import { retryableClassifier, type RetryableOptions } from '../retry/retryable.decorator';
import { TopologyNames } from '../topology/topology-names';
import type { HandlerDefinition } from './handler-definition';
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
        if (metadata) definitions.push(this.define(instance, methodName, method, metadata));
      }
    }
    const seen = new Map<string, string>();
    for (const { queue, name } of definitions) {
      const other = seen.get(queue);
      if (other) {
        throw new MessagingConfigError('queue', `handlers ${other} and ${name} both consume "${queue}"; give one a queue of its own`);
      }
      seen.set(queue, name);
    }
    return definitions;
  }

  private define(instance: object, methodName: string, method: object, metadata: MessageHandlerMetadata): HandlerDefinition {
    const name = `${instance.constructor.name}.${methodName}`;
    const retryable = Reflect.getMetadata(RETRYABLE_METADATA, method) as RetryableOptions | undefined;
    const idempotent = Reflect.getMetadata(IDEMPOTENT_METADATA, method) as IdempotentOptions<object> | undefined;
    const prefetch = metadata.prefetch ?? this.options.prefetch;
    if (!Number.isInteger(prefetch) || prefetch < 1 || prefetch > 65_535) {
      throw new MessagingConfigError(`${name} prefetch`, `must be an integer from 1 to 65535, got ${String(prefetch)}`);
    }
    const { dependsOn } = metadata;
    if (dependsOn !== undefined && (!Array.isArray(dependsOn) || !dependsOn.every((name) => typeof name === 'string' && name !== ''))) {
      throw new MessagingConfigError(`${name} dependsOn`, 'must be a list of dependency names, e.g. ["database"]');
    }
    const handlerRule = retryable ? retryableClassifier(retryable) : undefined;
    return {
      name,
      instance,
      methodName,
      messageClass: metadata.messageClass,
      queue: metadata.queue ?? this.names.handlerQueue(metadata.messageClass.messageType),
      prefetch,
      retry: resolveRetry(retryable, this.options.retry, `@Retryable of ${name}`),
      classifiers: [...(handlerRule ? [handlerRule] : []), ...this.options.errorClassifiers],
      idempotent,
      dependsOn,
    };
  }
}
