// MessagingModule: wires the connection, publisher and consumers of a service from one options object.
import {
  Module,
  RequestMethod,
  type DynamicModule,
  type InjectionToken,
  type MiddlewareConsumer,
  type ModuleMetadata,
  type NestModule,
  type OptionalFactoryDependency,
  type Provider,
} from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AmqpConnection } from './connection/amqp-connection';
import { MessageHandlerRegistry } from './consuming/message-handler-registry';
import { IdempotencyStep } from './inbox/idempotency-step';
import { MessagingMetrics } from './telemetry/messaging-metrics';
import { MetricsController } from './telemetry/metrics.controller';
import { Outbox } from './outbox/outbox';
import { OutboxRelay } from './outbox/outbox-relay';
import { ShutdownSequence } from './lifecycle/shutdown-sequence';
import { CorrelationIdMiddleware } from './correlation/correlation-id.middleware';
import { DeadLetterAdmin } from './dead-letter/dead-letter-admin';
import { DeadLetterAdminController } from './dead-letter/dead-letter-admin.controller';
import { MESSAGING_OPTIONS } from './messaging.constants';
import { resolveMessagingOptions, type MessagingModuleOptions, type ResolvedMessagingOptions } from './options/messaging-options';
import { MessagePublisher } from './publishing/message-publisher';
import { Topology } from './topology/topology';
import { TopologyNames } from './topology/topology-names';

export interface MessagingModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useFactory: (...args: never[]) => MessagingModuleOptions | Promise<MessagingModuleOptions>;
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
}

@Module({})
export class MessagingModule implements NestModule {
  static forRoot(options: MessagingModuleOptions = {}): DynamicModule {
    return MessagingModule.build({ provide: MESSAGING_OPTIONS, useFactory: () => resolveMessagingOptions(options) }, []);
  }

  static forRootAsync(options: MessagingModuleAsyncOptions): DynamicModule {
    return MessagingModule.build(
      {
        provide: MESSAGING_OPTIONS,
        useFactory: async (...args: never[]) => resolveMessagingOptions(await options.useFactory(...args)),
        inject: options.inject ?? [],
      },
      options.imports ?? [],
    );
  }

  /** Every HTTP request gets a correlation id (X-Correlation-Id in, or a new one) that publishes inherit. */
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(CorrelationIdMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }

  private static build(optionsProvider: Provider, imports: NonNullable<ModuleMetadata['imports']>): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      imports: [DiscoveryModule, ...imports],
      // Disabled (401 on every request) until adminToken / ADMIN_TOKEN is set.
      controllers: [DeadLetterAdminController, MetricsController],
      providers: [
        DeadLetterAdmin,
        optionsProvider,
        {
          provide: AmqpConnection,
          useFactory: (options: ResolvedMessagingOptions) => {
            const connection = new AmqpConnection(options);
            connection.connect();
            return connection;
          },
          inject: [MESSAGING_OPTIONS],
        },
        {
          provide: TopologyNames,
          useFactory: (options: ResolvedMessagingOptions) => new TopologyNames(options.exchange, options.serviceName),
          inject: [MESSAGING_OPTIONS],
        },
        { provide: Topology, useFactory: (names: TopologyNames) => new Topology(names), inject: [TopologyNames] },
        MessagePublisher,
        MessageHandlerRegistry,
        IdempotencyStep,
        MessagingMetrics,
        Outbox,
        OutboxRelay,
        ShutdownSequence,
      ],
      exports: [
        MESSAGING_OPTIONS,
        AmqpConnection,
        TopologyNames,
        Topology,
        MessagePublisher,
        MessageHandlerRegistry,
        Outbox,
        OutboxRelay,
        DeadLetterAdmin,
        MessagingMetrics,
      ],
    };
  }
}
