// Finds the application's @Saga providers and makes each @StartedBy / @Handles method a message handler of the
// library's own (same consume pipeline, @Idempotent with the database store): the handler takes the inbox's
// transaction, locks the instance of the message's key, calls the method with it, and saves it, all in one commit.
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import {
  ConsumerSupervisor,
  HandlerDiscovery,
  Idempotent,
  MessageHeaders,
  MessagingConfigError,
  type HandlerDefinition,
  type MessageContext,
} from '@app/messaging';
import { SagaInstanceNotFoundError, SagaKeyError } from './saga-errors';
import { SagaRunner } from './saga-runner';
import { SAGA_METADATA, SAGA_STEP_METADATA, type SagaOptions, type SagaStepMetadata } from './saga.decorators';

type SagaMethod = (message: object, saga: unknown, context: MessageContext) => unknown;

@Injectable()
export class SagaExplorer implements OnModuleInit {
  private readonly logger = new Logger('Sagas');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly handlers: HandlerDiscovery,
    private readonly consumers: ConsumerSupervisor,
    private readonly runner: SagaRunner,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.consumers.add(this.explore());
  }

  /** A handler definition for each @StartedBy / @Handles method of each @Saga provider. */
  explore(): HandlerDefinition[] {
    const definitions: HandlerDefinition[] = [];
    const names = new Map<string, string>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const options = Reflect.getMetadata(SAGA_METADATA, instance.constructor) as SagaOptions | undefined;
      if (!options) continue;
      const other = names.get(options.name);
      if (other) throw new MessagingConfigError('@Saga name', `${other} and ${instance.constructor.name} are both "${options.name}"`);
      names.set(options.name, instance.constructor.name);
      const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
      for (const methodName of this.scanner.getAllMethodNames(prototype)) {
        const method = prototype[methodName];
        if (typeof method !== 'function') continue;
        const step = Reflect.getMetadata(SAGA_STEP_METADATA, method) as SagaStepMetadata | undefined;
        if (step) definitions.push(this.define(instance, options, methodName, method as SagaMethod, step));
      }
    }
    return definitions;
  }

  private define(saga: object, options: SagaOptions, methodName: string, method: SagaMethod, step: SagaStepMetadata): HandlerDefinition {
    const runner = this.runner;
    const logger = this.logger;
    const missing = step.missing ?? options.missing ?? 'dead-letter';
    const where = `${saga.constructor.name}.${methodName}`;
    // The handler the pipeline calls: (message, context), as any handler. Named and shaped after the saga's method, so
    // that logs and dead letters name it.
    const handle = async function (message: object, context: MessageContext): Promise<void> {
      const key: unknown = step.key(message);
      if (typeof key !== 'string' || key === '') {
        // A message that names no instance at all: as one whose instance is missing, ignored or dead-lettered.
        if (missing === 'dead-letter') {
          throw new SagaKeyError(`${where}: ${context.messageType} ${context.messageId} names no ${options.name} saga (empty key)`);
        }
        logger.log({ event: 'saga.key_missing', saga: options.name, type: context.messageType, messageId: context.messageId });
        return;
      }
      const token = context.headers[MessageHeaders.scheduleToken];
      const moved = await runner.run(
        context.transaction,
        options.name,
        key,
        step.starts,
        { messageType: context.messageType, messageId: context.messageId },
        async (instance) => {
          if (typeof token === 'string') instance.scheduleArrived(token);
          await method.call(saga, message, instance, context);
        },
      );
      if (moved === 'missing') {
        if (missing === 'dead-letter') throw new SagaInstanceNotFoundError(options.name, key, context.messageType);
        logger.log({ event: 'saga.instance_missing', saga: options.name, key, type: context.messageType, messageId: context.messageId });
      } else if (moved === 'completed') {
        logger.log({
          event: 'saga.message_after_completion',
          saga: options.name,
          key,
          type: context.messageType,
          messageId: context.messageId,
        });
      }
    };
    // The saga method's own metadata (@Retryable...) goes with it; the saga's handlers always use the database inbox.
    for (const metadataKey of Reflect.getMetadataKeys(method)) {
      Reflect.defineMetadata(metadataKey, Reflect.getMetadata(metadataKey, method), handle);
    }
    const prototype = { constructor: saga.constructor, [methodName]: handle };
    Idempotent()(prototype, methodName, { value: handle });
    const host = Object.create(prototype) as object;
    return this.handlers.define(host, methodName, {
      messageClass: step.messageClass,
      ...(step.queue !== undefined ? { queue: step.queue } : {}),
      ...(step.prefetch !== undefined ? { prefetch: step.prefetch } : {}),
    });
  }
}
