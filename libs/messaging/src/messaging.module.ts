// MessagingModule: the AMQP runtime of a service (connection, topology, consumers and their pipeline, publisher)
// from one options object. It mounts no route and no middleware: HTTP faces live in the service kit.
import {
  Module,
  type DynamicModule,
  type InjectionToken,
  type ModuleMetadata,
  type OptionalFactoryDependency,
  type Provider,
} from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AmqpConnection } from './connection/amqp-connection';
import { ConsumePipeline, CONSUME_STEPS } from './consuming/consume-pipeline';
import { ConsumerSupervisor } from './consuming/consumer-supervisor';
import { DeadLetterAdmin } from './dead-letter/dead-letter-admin';
import { DeadLetterEditor } from './dead-letter/dead-letter-editor';
import { Dependencies } from './dependencies/dependencies';
import { HandlerDiscovery } from './handlers/handler-discovery';
import { HandlerInvokerFactory } from './handlers/handler-invoker-factory';
import { BrokerReadiness, ConsumersReadiness } from './health/messaging-readiness';
import { IdempotencyStores } from './idempotency/idempotency-stores';
import { ShutdownSequence } from './lifecycle/shutdown-sequence';
import { MESSAGING_OPTIONS } from './messaging.constants';
import { resolveMessagingOptions, type MessagingModuleOptions, type ResolvedMessagingOptions } from './options/messaging-options';
import { MessagePublisher } from './publishing/message-publisher';
import { PublishPipeline, PUBLISH_STEPS } from './publishing/publish-pipeline';
import { DelayScheduler } from './retry/delay-scheduler';
import { Topology } from './topology/topology';
import { TopologyNames } from './topology/topology-names';

export interface MessagingModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useFactory: (...args: never[]) => MessagingModuleOptions | Promise<MessagingModuleOptions>;
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
}

@Module({})
export class MessagingModule {
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

  private static build(optionsProvider: Provider, imports: NonNullable<ModuleMetadata['imports']>): DynamicModule {
    const exported = [
      MESSAGING_OPTIONS,
      AmqpConnection,
      TopologyNames,
      Topology,
      MessagePublisher,
      PublishPipeline,
      ConsumerSupervisor,
      IdempotencyStores,
      Dependencies,
      ShutdownSequence,
      DeadLetterAdmin,
      DeadLetterEditor,
      DelayScheduler,
      HandlerDiscovery,
    ];
    return {
      module: MessagingModule,
      global: true,
      imports: [DiscoveryModule, ...imports],
      providers: [
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
        Topology,
        DelayScheduler,
        HandlerDiscovery,
        HandlerInvokerFactory,
        IdempotencyStores,
        Dependencies,
        ...Object.values(CONSUME_STEPS),
        ConsumePipeline,
        ConsumerSupervisor,
        ...Object.values(PUBLISH_STEPS),
        PublishPipeline,
        MessagePublisher,
        ShutdownSequence,
        DeadLetterAdmin,
        DeadLetterEditor,
        BrokerReadiness,
        ConsumersReadiness,
      ],
      exports: exported,
    };
  }
}
