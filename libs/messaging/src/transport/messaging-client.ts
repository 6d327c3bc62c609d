// The Nest microservices client of the library (a ClientProxy). emit() is a publish through the publish pipeline
// (validated, enveloped, correlated, traced, confirmed), or a row in the caller's transaction through the outbox;
// send() is a request over RabbitMQ's direct reply-to: the same pipeline, then one reply, its error an RpcException.
import { Logger } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';
import { ClientProxy, RpcException, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import { connectable, defer, Subject, type Observable } from 'rxjs';
import type { MessageClass } from '@app/messaging-core';
import type { AmqpConnection } from '../connection/amqp-connection';
import type { MessageTransaction } from '../consuming/message-context';
import type { MessagePublisher, PublishReceipt } from '../publishing/message-publisher';
import { OUTBOX_WRITER, type OutboxWriter } from '../publishing/outbox-writer';
import { Publication } from '../publishing/publication';
import type { PublishPipeline, PublishPipelineRun } from '../publishing/publish-pipeline';
import type { PublishStep } from '../publishing/publish-step';
import type { TopologyNames } from '../topology/topology-names';
import type { MessageCatalogue } from './message-catalogue';
import { ReplyChannel, type PendingRequest, type RequestOutcome } from './reply-channel';

/** What a client shares with the module: its connection, pipelines and message classes. */
export interface MessagingClientRuntime {
  connection: AmqpConnection;
  names: TopologyNames;
  pipeline: PublishPipeline;
  publisher: MessagePublisher;
  catalogue: MessageCatalogue;
  moduleRef: ModuleRef;
}

/** A request on its way through the publish pipeline; the last step sends it on the reply channel. */
class RequestPublication extends Publication implements PendingRequest {
  cancelled = false;

  constructor(
    type: MessageClass,
    data: unknown,
    readonly timeoutMs: number,
    readonly settle: (outcome: RequestOutcome) => void,
  ) {
    super(type, data, {}, 'broker');
  }
}

/** emit() into a caller's transaction: see MessagingClient.inTransaction. */
export interface TransactionalEmitter {
  emit(pattern: MessageClass | string, data: object): Observable<PublishReceipt>;
}

export class MessagingClient extends ClientProxy {
  private readonly logger = new Logger('Messaging');
  private readonly replies: ReplyChannel;
  private requests?: PublishPipelineRun;

  constructor(
    private readonly runtime: MessagingClientRuntime,
    /** For logs and errors: the name it is injected by. */
    readonly name: string,
    /** How long send() waits for a reply. */
    readonly timeoutMs: number,
  ) {
    super();
    this.replies = new ReplyChannel(runtime.connection, runtime.names, name);
  }

  /** Requests sent and not yet answered, timed out or failed. */
  get requestsInFlight(): number {
    return this.replies.inFlight;
  }

  /** Resolves once requests can go out: the reply channel consumes its replies (waits up to timeoutMs the first time). */
  connect(): Promise<void> {
    return this.replies.ready(this.timeoutMs);
  }

  /** Fails the requests still waiting and closes the reply channel; the module's connection stays (it is shared). */
  async close(): Promise<void> {
    await this.replies.close();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /** The broker connection it shares with the module. */
  unwrap<T>(): T {
    return this.runtime.connection as T;
  }

  /**
   * emit() that writes the message in `transaction` through the outbox (DatabaseModule provides it): validated now,
   * published by the relay once, and only if, the transaction commits. Await it inside the transaction.
   */
  inTransaction(transaction: MessageTransaction): TransactionalEmitter {
    return {
      emit: (pattern, data) =>
        hot(
          defer(() => {
            const type = this.runtime.catalogue.resolve(pattern, `${this.name} emit`);
            return this.outbox().add(transaction, type, data);
          }),
        ),
    };
  }

  protected dispatchEvent<T = PublishReceipt>(packet: ReadPacket): Promise<T> {
    const type = this.runtime.catalogue.resolve(packet.pattern, `${this.name} emit`);
    return this.runtime.publisher.publish(type, packet.data as object) as Promise<T>;
  }

  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    let done = false;
    const finish = (reply: WritePacket): void => {
      if (done) return;
      done = true;
      callback(reply);
    };
    let request: RequestPublication;
    try {
      const type = this.runtime.catalogue.resolve(packet.pattern, `${this.name} send`);
      request = new RequestPublication(type, packet.data, this.timeoutMs, (outcome) => finish(toWritePacket(outcome)));
    } catch (error) {
      finish({ err: error });
      return () => undefined;
    }
    this.request(request).catch((error: unknown) => finish({ err: error }));
    // Teardown: the caller has its answer, or gave up (unsubscribed): its entry goes.
    return () => {
      done = true;
      request.cancelled = true;
      if (request.outgoing) this.replies.forget(request.outgoing.properties.messageId);
    };
  }

  private async request(request: RequestPublication): Promise<void> {
    await this.replies.ready(this.timeoutMs);
    const sendOnReplyChannel: PublishStep = {
      handle: (publication) => this.replies.send(publication.wire, publication as RequestPublication),
    };
    this.requests ??= this.runtime.pipeline.compose({ last: sendOnReplyChannel });
    await this.requests(request);
  }

  private outbox(): OutboxWriter {
    try {
      return this.runtime.moduleRef.get<OutboxWriter>(OUTBOX_WRITER, { strict: false });
    } catch (error) {
      this.logger.error({ event: 'client.no_outbox', client: this.name });
      throw new Error(`${this.name}.inTransaction() writes to the outbox: import DatabaseModule`, { cause: error });
    }
  }
}

/** A reply becomes what ClientProxy's observer expects; a responder's error, an RpcException with its message. */
function toWritePacket(outcome: RequestOutcome): WritePacket {
  if ('error' in outcome) return { err: outcome.error };
  const { reply } = outcome;
  if (reply.err) return { err: new RpcException(reply.err) };
  return { response: reply.response, isDisposed: true };
}

/** Starts at once, whether or not anyone subscribes, as ClientProxy.emit() does. */
function hot<T>(source: Observable<T>): Observable<T> {
  const shared = connectable(source, { connector: () => new Subject<T>(), resetOnDisconnect: false });
  shared.connect();
  return shared;
}
