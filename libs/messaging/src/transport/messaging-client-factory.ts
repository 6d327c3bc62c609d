// Makes the transport's clients: each with the module's connection and pipelines, its own reply channel and timeout.
import { Inject, Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { AmqpConnection } from '../connection/amqp-connection';
import { MessagePublisher } from '../publishing/message-publisher';
import { PublishPipeline } from '../publishing/publish-pipeline';
import { TopologyNames } from '../topology/topology-names';
import { MessageCatalogue } from './message-catalogue';
import { MessagingClient, type MessagingClientRuntime } from './messaging-client';
import { assertTimeout, TRANSPORT_OPTIONS, type ResolvedTransportOptions } from './transport-options';

export interface MessagingClientOptions {
  /** The token it is injected by: `@Inject('NOTIFICATIONS') client: ClientProxy`. */
  name: string | symbol;
  /** How long send() waits for the reply. Default: MessagingTransportModule's requestTimeoutMs (5000 ms). */
  timeoutMs?: number;
}

@Injectable()
export class MessagingClientFactory {
  private readonly runtime: MessagingClientRuntime;

  constructor(
    @Inject(TRANSPORT_OPTIONS) private readonly options: ResolvedTransportOptions,
    connection: AmqpConnection,
    names: TopologyNames,
    pipeline: PublishPipeline,
    publisher: MessagePublisher,
    catalogue: MessageCatalogue,
    moduleRef: ModuleRef,
  ) {
    this.runtime = { connection, names, pipeline, publisher, catalogue, moduleRef };
  }

  create(options: MessagingClientOptions): MessagingClient {
    const name = typeof options.name === 'symbol' ? (options.name.description ?? 'client') : options.name;
    const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs;
    assertTimeout(`clients[${name}].timeoutMs`, timeoutMs);
    return new MessagingClient(this.runtime, name, timeoutMs);
  }
}
