// Finds @MessageHandler methods, wraps each in Nest's context (guards, interceptors, pipes, filters), runs consumers.
import {
  Catch,
  Inject,
  type ExceptionFilter,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { EXCEPTION_FILTERS_METADATA, GUARDS_METADATA, INTERCEPTORS_METADATA, PIPES_METADATA } from '@nestjs/common/constants';
import { ApplicationConfig, DiscoveryService, ExternalContextCreator, MetadataScanner, type ParamsFactory } from '@nestjs/core';
import { isObservable, lastValueFrom } from 'rxjs';
import { AmqpConnection } from '../connection/amqp-connection';
import { MessagingConfigError } from '../errors/message-errors';
import { IDEMPOTENT_METADATA, MESSAGE_CONTEXT_TYPE, MESSAGE_HANDLER_METADATA, MESSAGE_HANDLER_PARAMS_METADATA, MESSAGING_OPTIONS, RETRYABLE_METADATA } from '../messaging.constants';
import { resolveRetry, type ResolvedMessagingOptions } from '../options/messaging-options';
import { IdempotencyStep } from '../inbox/idempotency-step';
import type { IdempotentOptions } from '../inbox/idempotent.decorator';
import { DelayInfrastructure } from '../retry/delay-infrastructure';
import { retryableClassifier, type RetryableOptions } from '../retry/retryable.decorator';
import { MessagingMetrics } from '../telemetry/messaging-metrics';
import { Topology } from '../topology/topology';
import { MessageValidationPipe } from '../validation/message-validation.pipe';
import type { MessageContext } from './message-context';
import { MessageConsumer, type HandlerDefinition } from './message-consumer';
import type { MessageHandlerMetadata } from './message-handler.decorator';

// Parameter kinds, numeric as Nest's ExternalContextCreator expects.
const PAYLOAD = 0;
const CONTEXT = 1;

/** Hands a handler its two arguments: the message and its MessageContext. */
const paramsFactory: ParamsFactory = {
  exchangeKeyForValue(type: number, _data: unknown, args: unknown[]) {
    return type === PAYLOAD ? args[0] : type === CONTEXT ? args[1] : undefined;
  },
};

type HandlerMethod = (message: object, context: MessageContext) => unknown;

@Catch()
class RethrowFilter implements ExceptionFilter {
  catch(error: unknown): never {
    throw error;
  }
}
const RETHROW = new RethrowFilter();

/** `wrapper` carries the metadata of `original`, so that @UseGuards, @UseInterceptors... on the method still apply. */
function withMetadataOf(original: HandlerMethod, wrapper: HandlerMethod): HandlerMethod {
  for (const key of Reflect.getMetadataKeys(original)) {
    Reflect.defineMetadata(key, Reflect.getMetadata(key, original), wrapper);
  }
  return wrapper;
}

@Injectable()
export class MessageHandlerRegistry implements OnApplicationBootstrap {
  private readonly logger = new Logger('Messaging');
  private readonly consumers: MessageConsumer[] = [];
  private readonly delays: DelayInfrastructure;
  private stopping = false;

  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly options: ResolvedMessagingOptions,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly contextCreator: ExternalContextCreator,
    private readonly connection: AmqpConnection,
    private readonly topology: Topology,
    private readonly idempotency: IdempotencyStep,
    private readonly metrics: MessagingMetrics,
    @Optional() private readonly appConfig?: ApplicationConfig,
  ) {
    this.delays = new DelayInfrastructure(options.delay, connection, topology);
  }

  async onApplicationBootstrap(): Promise<void> {
    const definitions = this.discover();
    if (!this.options.consume) return;
    this.metrics.setSampler('queueDepths', () => this.queueDepths());
    for (const definition of definitions) {
      const consumer = new MessageConsumer(definition, {
        connection: this.connection,
        topology: this.topology,
        delays: this.delays,
        options: this.options,
        metrics: this.metrics,
      });
      this.consumers.push(consumer);
      await consumer.start();
      this.logger.log({ event: 'consumer.started', queue: definition.queue, handler: definition.name, type: definition.messageClass.messageType });
    }
  }

  /** Stops taking deliveries and waits (bounded) for the handlers in flight. Called by the shutdown sequence. */
  async stopConsumers(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.consumers.map((consumer) => consumer.stop(this.options.shutdownTimeoutMs)));
  }

  /**
   * Resolves once every consumer has declared its queues and registered with the broker; rejects after `timeoutMs`.
   * Publishing before this point can miss queues that do not exist yet.
   */
  async waitUntilReady(timeoutMs = 15_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.all(this.consumers.map((consumer) => consumer.waitUntilReady())),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`Consumers not ready within ${timeoutMs} ms (is the broker up?)`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Every consumer is registered on an open channel (false during shutdown). */
  get isConsuming(): boolean {
    return !this.stopping && this.consumers.every((consumer) => consumer.isRunning);
  }

  get queues(): string[] {
    return this.consumers.map((consumer) => consumer.queue);
  }

  /** The delay mechanism in use, once the first consumer has set up ('ladder' or 'plugin'). */
  get delayMechanism(): string | undefined {
    return this.delays.chosen;
  }

  /** Ready messages in each handler queue and its dead-letter queue (passive checks on a short-lived channel). */
  async queueDepths(): Promise<Array<{ queue: string; messages: number; deadLetters: number }>> {
    if (!this.connection.isConnected()) return [];
    return this.connection.withTemporaryChannel(async (channel) => {
      const depths = [];
      for (const queue of this.queues) {
        const { messageCount } = await channel.checkQueue(queue);
        const dead = await channel.checkQueue(this.topology.names.deadLetterQueue(queue));
        depths.push({ queue, messages: messageCount, deadLetters: dead.messageCount });
      }
      return depths;
    });
  }

  private discover(): HandlerDefinition[] {
    const definitions: HandlerDefinition[] = [];
    const wrappers = [...this.discovery.getProviders(), ...this.discovery.getControllers()];
    for (const wrapper of wrappers) {
      const { instance } = wrapper;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const handler = (prototype as Record<string, unknown>)[method];
        if (typeof handler !== 'function') continue;
        const metadata = Reflect.getMetadata(MESSAGE_HANDLER_METADATA, handler) as MessageHandlerMetadata | undefined;
        if (!metadata) continue;
        definitions.push(this.define(instance as object, method, metadata, handler as HandlerMethod));
      }
    }
    const seen = new Map<string, string>();
    for (const { queue, name } of definitions) {
      const other = seen.get(queue);
      if (other) throw new MessagingConfigError('queue', `handlers ${other} and ${name} both consume "${queue}"; give one a queue of its own`);
      seen.set(queue, name);
    }
    return definitions;
  }

  private define(instance: object, method: string, metadata: MessageHandlerMetadata, handler: HandlerMethod): HandlerDefinition {
    const name = `${instance.constructor.name}.${method}`;
    const { messageClass } = metadata;
    const queue = metadata.queue ?? this.topology.names.handlerQueue(messageClass.messageType);
    const retryable = Reflect.getMetadata(RETRYABLE_METADATA, handler) as RetryableOptions | undefined;
    const idempotent = Reflect.getMetadata(IDEMPOTENT_METADATA, handler) as IdempotentOptions<object> | undefined;
    const prefetch = metadata.prefetch ?? this.options.prefetch;
    if (!Number.isInteger(prefetch) || prefetch < 1) throw new MessagingConfigError(`${name} prefetch`, 'must be an integer >= 1');
    // The payload goes through the library's validation pipe after any global or @UsePipes pipes.
    const validation = new MessageValidationPipe(messageClass, this.options.unknownFields);
    Reflect.defineMetadata(
      MESSAGE_HANDLER_PARAMS_METADATA,
      {
        [`${PAYLOAD}:0`]: { index: 0, data: undefined, pipes: [validation] },
        [`${CONTEXT}:1`]: { index: 1, data: undefined, pipes: [] },
      },
      instance.constructor,
      method,
    );
    // Steps that need the validated message (idempotency) wrap the method itself, inside Nest's pipes and interceptors.
    const body = idempotent ? this.idempotency.wrap(handler.bind(instance), queue, name, idempotent) : handler.bind(instance);
    const callback = withMetadataOf(handler, (message, context) => body(message, context));
    // Lowest-precedence method filter: errors no filter of the user's catches go on to the outcome step as they are,
    // instead of through Nest's default handler (which logs an unstructured line) or an HTTP filter of the class or app.
    const userFilters = (Reflect.getMetadata(EXCEPTION_FILTERS_METADATA, handler) as unknown[] | undefined) ?? [];
    Reflect.defineMetadata(EXCEPTION_FILTERS_METADATA, [RETHROW, ...userFilters], callback);
    const throughNest = this.contextCreator.create(
      instance,
      callback as (...args: unknown[]) => unknown,
      method,
      MESSAGE_HANDLER_PARAMS_METADATA,
      paramsFactory,
      undefined,
      undefined,
      undefined,
      MESSAGE_CONTEXT_TYPE,
    ) as HandlerDefinition['invoke'];
    // Without any guard, interceptor, pipe or filter of the user's, Nest's context would only run the validation pipe
    // (at ~10 µs and several promises per message): the handler is then called directly, with the same pipe. Nest
    // reads the global enhancers when it creates the context (just above), so they are checked here once too.
    const enhanced = userFilters.length > 0 || hasEnhancers(handler) || hasEnhancers(instance.constructor) || this.hasGlobalEnhancers();
    const direct = (message: unknown, context: MessageContext): unknown => {
      const validated = validation.transform(message);
      return validated instanceof Promise ? validated.then((value) => settleResult(body(value, context))) : settleResult(body(validated, context));
    };
    const invoke = enhanced ? throughNest : direct;
    const handlerRule = retryable ? retryableClassifier(retryable) : undefined;
    return {
      messageClass,
      queue,
      prefetch,
      retry: resolveRetry(retryable, this.options.retry, `@Retryable of ${name}`),
      classifiers: [...(handlerRule ? [handlerRule] : []), ...this.options.errorClassifiers],
      name,
      invoke,
    };
  }

  private hasGlobalEnhancers(): boolean {
    const config = this.appConfig;
    if (!config) return false;
    return (
      config.getGlobalGuards().length > 0 ||
      config.getGlobalInterceptors().length > 0 ||
      config.getGlobalPipes().length > 0 ||
      config.getGlobalRequestGuards().length > 0 ||
      config.getGlobalRequestInterceptors().length > 0 ||
      config.getGlobalRequestPipes().length > 0
    );
  }
}

/** True if `target` (a handler method or its class) declares guards, interceptors or pipes. */
function hasEnhancers(target: object): boolean {
  return [GUARDS_METADATA, INTERCEPTORS_METADATA, PIPES_METADATA].some((key) => ((Reflect.getMetadata(key, target) as unknown[] | undefined) ?? []).length > 0);
}

/** A handler may return an Observable, as Nest allows: its last value is the result. */
function settleResult(result: unknown): unknown {
  return isObservable(result) ? lastValueFrom(result, { defaultValue: undefined }) : result;
}
