// MessagingTransportModule: the Nest microservices transport strategy (MessagingTransport) and its clients' factory, on
// top of MessagingModule's connection, pipelines and consumers. MessagingClientsModule registers clients by name, as
// Nest's ClientsModule does.
import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { MessageCatalogue } from './message-catalogue';
import { MessagingClientFactory, type MessagingClientOptions } from './messaging-client-factory';
import { MessagingTransport } from './messaging-transport';
import { PatternHandlerExplorer } from './pattern-handler-explorer';
import { resolveTransportOptions, TRANSPORT_OPTIONS, type MessagingTransportOptions } from './transport-options';

@Module({})
export class MessagingTransportModule {
  /** Import once, beside MessagingModule.forRoot(). */
  static forRoot(options: MessagingTransportOptions = {}): DynamicModule {
    return {
      module: MessagingTransportModule,
      global: true,
      imports: [DiscoveryModule],
      providers: [
        { provide: TRANSPORT_OPTIONS, useFactory: () => resolveTransportOptions(options) },
        MessageCatalogue,
        PatternHandlerExplorer,
        MessagingTransport,
        MessagingClientFactory,
      ],
      exports: [TRANSPORT_OPTIONS, MessageCatalogue, MessagingTransport, MessagingClientFactory],
    };
  }
}

@Module({})
export class MessagingClientsModule {
  /** One ClientProxy per entry, injected by its name (needs MessagingTransportModule.forRoot()). */
  static register(clients: readonly MessagingClientOptions[]): DynamicModule {
    const providers: Provider[] = clients.map((client) => ({
      provide: client.name,
      useFactory: (factory: MessagingClientFactory) => factory.create(client),
      inject: [MessagingClientFactory],
    }));
    return { module: MessagingClientsModule, providers, exports: providers };
  }
}
