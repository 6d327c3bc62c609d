// The Nest microservices transport strategy of the library: @EventPattern and @MessagePattern handlers become handlers
// of the consume pipeline, consumed by the module's ConsumerSupervisor from `<service>.<type>` queues on the module's
// one connection, exactly as @MessageHandler ones are. It is a way in, not a second consumer: it opens no connection
// and declares nothing itself.
//
//   app.connectMicroservice({ strategy: app.get(MessagingTransport) });
//   await app.startAllMicroservices();
import { Injectable } from '@nestjs/common';
import { Server, type CustomTransportStrategy, type MsPattern } from '@nestjs/microservices';
import { MessagingConfigError } from '@app/messaging-core';
import { AmqpConnection } from '../connection/amqp-connection';
import { ConsumerSupervisor } from '../consuming/consumer-supervisor';
import { PatternHandlerExplorer } from './pattern-handler-explorer';

/** The transport's id: `@EventPattern(T, MESSAGING_TRANSPORT)` binds a handler to it alone in an app of several transports. */
export const MESSAGING_TRANSPORT = Symbol('MessagingTransport');

@Injectable()
export class MessagingTransport extends Server implements CustomTransportStrategy {
  override readonly transportId = MESSAGING_TRANSPORT;
  private consuming?: Promise<void>;

  constructor(
    private readonly explorer: PatternHandlerExplorer,
    private readonly supervisor: ConsumerSupervisor,
    private readonly connection: AmqpConnection,
  ) {
    super();
  }

  /**
   * Called by Nest once it has handed over the handlers (addHandler): they join the module's consumers, from the
   * application's start, or at once if it has started already. The callback gets any declaration error.
   */
  listen(callback: (error?: unknown) => void): void {
    this.consuming ??= this.consume();
    this.consuming.then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  /** Nothing of its own to close: the consumers drain with the module at shutdown (ShutdownSequence). */
  close(): void {}

  /** The broker connection it shares with the module. */
  unwrap<T>(): T {
    return this.connection as T;
  }

  on(): never {
    throw new Error('MessagingTransport has no events of its own: the library logs the connection events (broker.*)');
  }

  private async consume(): Promise<void> {
    // Nest's key of a pattern: a string, or the message class itself.
    const keyOf = (pattern: unknown): unknown => this.normalizePattern(pattern as MsPattern);
    const registered = this.getHandlers() as Map<unknown, unknown>;
    const entries = this.explorer.explore(MESSAGING_TRANSPORT).filter((entry) => registered.has(keyOf(entry.pattern)));
    const found = new Set(entries.map((entry) => keyOf(entry.pattern)));
    for (const pattern of registered.keys()) {
      if (!found.has(pattern)) {
        throw new MessagingConfigError(
          'pattern',
          `the handler of ${describe(pattern)} cannot be consumed: its controller is request-scoped (or depends on a ` +
            'request-scoped provider); handlers of this transport live in controllers of the default scope',
        );
      }
    }
    await this.supervisor.add(entries.map((entry) => entry.definition));
  }
}

function describe(pattern: unknown): string {
  if (typeof pattern === 'function') return (pattern as { name: string }).name;
  return typeof pattern === 'string' ? `"${pattern}"` : String(pattern);
}
