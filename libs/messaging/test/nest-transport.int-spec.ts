// Integration: the Nest microservices transport and client against RabbitMQ, in a hybrid app (HTTP + microservice).
// @EventPattern and @MessagePattern handlers run through the same consume pipeline as @MessageHandler: one connection,
// one topology (`<service>.<type>` queues), validation, retries, dead letters with reasons, fault events; @Payload and
// @Ctx as in Nest (the context is the MessageContext); guards, interceptors, pipes and filters in an 'rpc' context.
import {
  Catch,
  Controller,
  Injectable,
  ParseIntPipe,
  UseFilters,
  UseGuards,
  UseInterceptors,
  type ArgumentsHost,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
  type INestMicroservice,
  type NestInterceptor,
} from '@nestjs/common';
import {
  BaseRpcExceptionFilter,
  ClientProxy,
  Ctx,
  EventPattern,
  MessagePattern,
  Payload,
  RpcException,
  type AsyncMicroserviceOptions,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { IsInt, IsString, Min } from 'class-validator';
import { firstValueFrom, lastValueFrom, map, of, type Observable } from 'rxjs';
import {
  ConsumerSupervisor,
  DeadLetterAdmin,
  DeadLetterEditor,
  DeadLetterEditRefusedError,
  MessageContext,
  MessageHandler,
  MessageValidationError,
  MessagingClient,
  MessagingClientsModule,
  MessagingModule,
  MessagingTransport,
  MessagingTransportModule,
  PermanentError,
  Retryable,
  TransientError,
  type PublishReceipt,
} from '@app/messaging';
import { createTestVhost, eventually, getOne, rabbitmqctl, type TestVhost } from '../../../test/support/test-broker';
import { QueueObserver } from '../../../test/support/queue-observer';

class ParcelShipped {
  static readonly messageType = 'parcel.shipped';
  static readonly schemaVersion = 1;
  @IsString() parcelId!: string;
  @IsInt() @Min(1) weight!: number;
}

class ParcelLost {
  static readonly messageType = 'parcel.lost';
  static readonly schemaVersion = 1;
  @IsString() parcelId!: string;
}

class ParcelPriced {
  static readonly messageType = 'parcel.priced';
  static readonly schemaVersion = 1;
  @IsString() parcelId!: string;
}

class QuoteRequested {
  static readonly messageType = 'quote.requested';
  static readonly schemaVersion = 1;
  @IsString() parcelId!: string;
  @IsInt() @Min(1) weight!: number;
}

class RouteRequested {
  static readonly messageType = 'route.requested';
  static readonly schemaVersion = 1;
  @IsString() from!: string;
  @IsString() to!: string;
}

class TrackingRequested {
  static readonly messageType = 'tracking.requested';
  static readonly schemaVersion = 1;
  @IsString() parcelId!: string;
}

interface Seen {
  data: unknown;
  context: unknown;
  type: string;
}

const intercepted: Seen[] = [];

@Injectable()
class RecordingInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    intercepted.push({
      type: context.getType<string>(),
      data: context.switchToRpc().getData(),
      context: context.switchToRpc().getContext(),
    });
    return next.handle();
  }
}

@Injectable()
class NoSecretRoutes implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToRpc().getData<RouteRequested>().to !== 'area-51';
  }
}

/** An RPC filter of the user's, on the controller: it turns "unknown parcel" into a reply the requester can read. */
class UnknownParcel extends Error {}

@Catch(UnknownParcel)
class UnknownParcelFilter extends BaseRpcExceptionFilter {
  override catch(error: UnknownParcel, host: ArgumentsHost): Observable<unknown> {
    return super.catch(new RpcException({ code: 'UNKNOWN_PARCEL', message: error.message }), host);
  }
}

@Controller()
@UseFilters(new UnknownParcelFilter())
class ParcelsController {
  readonly shipped: Array<{ parcel: ParcelShipped; context: MessageContext }> = [];
  readonly lost: Array<{ parcelId: string; attempt: number }> = [];
  readonly priced: string[] = [];

  @EventPattern(ParcelShipped)
  onShipped(@Payload() parcel: ParcelShipped, @Ctx() context: MessageContext): void {
    this.shipped.push({ parcel, context });
  }

  /** Fails transiently once per parcel, and for good when the parcel id says so. (A type name as the pattern: Nest's
   * typings of a string pattern want the parameters after the first to take `unknown`, unless T is given.) */
  @EventPattern<string>('parcel.lost')
  @Retryable({ maxAttempts: 3, backoff: { initialMs: 1000, factor: 1, jitter: 'none' } })
  onLost(@Payload('parcelId') parcelId: string, @Ctx() context: MessageContext): void {
    this.lost.push({ parcelId, attempt: context.attempt });
    if (parcelId.startsWith('gone-')) throw new PermanentError(`parcel ${parcelId} cannot be traced`);
    if (context.attempt === 1) throw new TransientError('tracking system busy');
  }

  @EventPattern(ParcelPriced, { queue: 'parcels.pricing-audit', prefetch: 5 })
  @UseInterceptors(RecordingInterceptor)
  onPriced(@Payload() message: ParcelPriced): void {
    this.priced.push(message.parcelId);
  }

  @MessagePattern(QuoteRequested)
  quote(@Payload() request: QuoteRequested, @Ctx() context: MessageContext): { parcelId: string; price: number; queue: string } {
    if (request.parcelId === 'explode') throw new Error('price table corrupt at /srv/prices.csv');
    return { parcelId: request.parcelId, price: request.weight * 3, queue: context.queue };
  }

  @MessagePattern('route.requested')
  @UseGuards(NoSecretRoutes)
  route(@Payload('from') from: string, @Payload('to') to: string): Observable<string> {
    return of(`${from}`, `${from} -> ${to}`);
  }

  @MessagePattern(TrackingRequested)
  async track(@Payload('parcelId') parcelId: string): Promise<{ parcelId: string; status: string }> {
    if (parcelId === 'nowhere') throw new UnknownParcel(`no parcel ${parcelId}`);
    return { parcelId, status: 'in transit' };
  }
}

/** A @MessageHandler of the same service: both ways in share the consumers, the connection and the topology. */
@Injectable()
class WeightAudit {
  readonly weights: number[] = [];
  @MessageHandler(ParcelShipped, { queue: 'parcels.weight-audit' })
  onShipped(message: ParcelShipped): void {
    this.weights.push(message.weight);
  }
}

describe('The Nest microservices transport and client, against RabbitMQ', () => {
  let vhost: TestVhost;
  let app: INestApplication;
  let controller: ParcelsController;
  let audit: WeightAudit;
  let client: ClientProxy;

  beforeAll(async () => {
    vhost = await createTestVhost('transport');
    const moduleRef = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({ url: vhost.url, serviceName: 'parcels', queueType: 'classic', delay: 'ladder', shutdownTimeoutMs: 500 }),
        MessagingTransportModule.forRoot({ messages: [ParcelLost, RouteRequested] }),
        MessagingClientsModule.register([{ name: 'PARCELS', timeoutMs: 5000 }]),
      ],
      controllers: [ParcelsController],
      providers: [WeightAudit, RecordingInterceptor, NoSecretRoutes],
    }).compile();
    app = moduleRef.createNestApplication();
    app.connectMicroservice<MicroserviceOptions>({ strategy: app.get(MessagingTransport) });
    await app.startAllMicroservices();
    await app.init();
    await app.get(ConsumerSupervisor).waitUntilReady();
    controller = app.get(ParcelsController);
    audit = app.get(WeightAudit);
    client = app.get<ClientProxy>('PARCELS');
  });

  afterAll(async () => {
    await app?.close();
    await vhost?.delete();
  });

  it("consumes each pattern handler's queue <service>.<type> (or its own), beside @MessageHandler ones, on one connection", async () => {
    const queues = await rabbitmqctl('list_queues', '-p', vhost.name, 'name');
    for (const queue of [
      'parcels.parcel.shipped',
      'parcels.parcel.lost',
      'parcels.pricing-audit',
      'parcels.quote.requested',
      'parcels.route.requested',
      'parcels.tracking.requested',
      'parcels.weight-audit',
    ]) {
      expect(queues).toContain(queue);
      expect(queues).toContain(`${queue}.dlq`);
    }
    expect(app.get(ConsumerSupervisor).queues).toHaveLength(7);
    const connections = await rabbitmqctl('list_connections', 'vhost', 'name');
    expect(connections.split('\n').filter((line) => line.startsWith(vhost.name))).toHaveLength(1);
  });

  it('hands @Payload() the validated message and @Ctx() the MessageContext; emit() resolves once confirmed', async () => {
    const receipt = await lastValueFrom(client.emit<PublishReceipt>(ParcelShipped, { parcelId: 'p-1', weight: 2 }));
    await eventually(() => controller.shipped.some((seen) => seen.parcel.parcelId === 'p-1'), 'p-1 shipped');
    const seen = controller.shipped.find((entry) => entry.parcel.parcelId === 'p-1')!;
    expect(seen.parcel).toBeInstanceOf(ParcelShipped);
    expect(seen.context).toBeInstanceOf(MessageContext);
    expect(seen.context).toMatchObject({ messageId: receipt.messageId, attempt: 1, queue: 'parcels.parcel.shipped' });
    expect(seen.context.getPattern()).toBe('parcel.shipped');
    expect(seen.context.correlationId).toBe(receipt.correlationId);
    await eventually(() => audit.weights.includes(2), 'the @MessageHandler of the same type got it too');
  });

  it('refuses an invalid emit with every reason, sending nothing', async () => {
    // A queue of the test's own sees what reaches the exchange; a valid emit after the invalid one, on the same
    // channel, is there only after anything sent before it.
    const observer = await QueueObserver.open(vhost.url, `observer.invalid-emit-${randomUUID()}`, {
      routingKey: ParcelShipped.messageType,
    });
    try {
      await expect(lastValueFrom(client.emit(ParcelShipped, { parcelId: 'p-2', weight: 0 }))).rejects.toThrow(MessageValidationError);
      await expect(lastValueFrom(client.emit('no.such.type', {}))).rejects.toThrow(/no message class has the type "no.such.type"/);
      const marker = await lastValueFrom(client.emit<PublishReceipt>(ParcelShipped, { parcelId: 'p-after', weight: 1 }));
      await eventually(async () => (await observer.depth()) >= 1, 'the valid emit after the invalid one on the queue');
      expect((await observer.drain()).map((message) => String(message.properties.messageId))).toEqual([marker.messageId]);
    } finally {
      await observer.delete();
    }
  });

  it('retries a transient failure through the delay exchanges, and dead-letters a permanent one with its reason and a fault', async () => {
    const connection = await vhost.connect();
    try {
      const channel = await connection.createChannel();
      await channel.assertQueue('observer.faults', { exclusive: true });
      await channel.bindQueue('observer.faults', 'domain.events', 'fault.parcel.lost');
      await lastValueFrom(client.emit('parcel.lost', { parcelId: 'p-3' }));
      await lastValueFrom(client.emit('parcel.lost', { parcelId: 'gone-4' }));
      await eventually(() => controller.lost.some((entry) => entry.parcelId === 'p-3' && entry.attempt === 2), 'p-3 retried', 15_000);
      const dead = await getOne(connection, 'parcels.parcel.lost.dlq');
      expect(dead.properties.headers).toMatchObject({
        'x-error-type': 'permanent',
        'x-error-message': 'parcel gone-4 cannot be traced',
        'x-original-queue': 'parcels.parcel.lost',
        'x-handler': 'ParcelsController.onLost',
      });
      const fault = await getOne(connection, 'observer.faults');
      expect(JSON.parse(fault.content.toString())).toMatchObject({ errorType: 'permanent', handler: 'ParcelsController.onLost' });
      expect(controller.lost.filter((entry) => entry.parcelId === 'gone-4')).toHaveLength(1);
    } finally {
      await connection.close();
    }
  });

  it("lets an operator edit a pattern handler's dead letter against its contract and replay it to the handler", async () => {
    await lastValueFrom(client.emit('parcel.lost', { parcelId: 'gone-8' }));
    const admin = app.get(DeadLetterAdmin);
    let messageId: string | undefined;
    await eventually(async () => {
      messageId = (await admin.summaries('parcels.parcel.lost.dlq')).letters.find((letter) =>
        letter.errorMessage.includes('gone-8'),
      )?.messageId;
      return messageId !== undefined;
    }, 'gone-8 dead-lettered');
    const editor = app.get(DeadLetterEditor);
    expect(editor.contractOf('parcels.parcel.lost.dlq')).toMatchObject({ queue: 'parcels.parcel.lost', messageType: 'parcel.lost' });
    // Checked against the @EventPattern handler's class: a wrong body is refused with its reasons, nothing sent.
    await expect(editor.replayEdited('parcels.parcel.lost.dlq', messageId!, '{"parcelId":8}')).rejects.toThrow(DeadLetterEditRefusedError);
    await editor.replayEdited('parcels.parcel.lost.dlq', messageId!, '{"parcelId":"found-8"}');
    await eventually(() => controller.lost.some((entry) => entry.parcelId === 'found-8'), 'the edited copy handled');
  });

  it("applies the user's interceptors in an 'rpc' context whose getContext() is the MessageContext; extras set the queue", async () => {
    await lastValueFrom(client.emit(ParcelPriced, { parcelId: 'p-5' }));
    await eventually(() => controller.priced.includes('p-5'), 'p-5 priced');
    const seen = intercepted.find((entry) => (entry.data as ParcelPriced).parcelId === 'p-5')!;
    expect(seen.type).toBe('rpc');
    expect(seen.context).toBeInstanceOf(MessageContext);
    expect((seen.context as MessageContext).queue).toBe('parcels.pricing-audit');
  });

  it("answers send() with the handler's result, and an Observable with its last value", async () => {
    await expect(firstValueFrom(client.send(QuoteRequested, { parcelId: 'p-6', weight: 4 }))).resolves.toEqual({
      parcelId: 'p-6',
      price: 12,
      queue: 'parcels.quote.requested',
    });
    await expect(lastValueFrom(client.send('route.requested', { from: 'Lyon', to: 'Oslo' }))).resolves.toBe('Lyon -> Oslo');
  });

  it("brings the responder's error back as an RpcException with its message, never its stack; the request is not retried nor dead-lettered", async () => {
    const failure = await firstValueFrom(client.send(QuoteRequested, { parcelId: 'explode', weight: 1 })).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RpcException);
    expect((failure as RpcException).message).toBe('price table corrupt at /srv/prices.csv');
    expect((failure as RpcException).getError()).toEqual({
      status: 'error',
      message: 'price table corrupt at /srv/prices.csv',
      errorType: 'transient',
      name: 'Error',
    });
    expect(JSON.stringify((failure as RpcException).getError())).not.toMatch(/at .*\.ts:\d+/);
    const listed = await rabbitmqctl('list_queues', '-p', vhost.name, 'name', 'messages');
    expect(listed).toMatch(/^parcels\.quote\.requested\s+0$/m);
    expect(listed).toMatch(/^parcels\.quote\.requested\.dlq\s+0$/m);
  });

  it("answers a guard's refusal as Forbidden, and an RPC filter's exception with the filter's object", async () => {
    await expect(firstValueFrom(client.send('route.requested', { from: 'Lyon', to: 'area-51' }))).rejects.toMatchObject({
      message: 'Forbidden resource',
    });
    const unknown = await firstValueFrom(client.send(TrackingRequested, { parcelId: 'nowhere' })).catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(RpcException);
    expect((unknown as RpcException).getError()).toEqual({ status: 'error', code: 'UNKNOWN_PARCEL', message: 'no parcel nowhere' });
    await expect(firstValueFrom(client.send(TrackingRequested, { parcelId: 'p-7' }))).resolves.toEqual({
      parcelId: 'p-7',
      status: 'in transit',
    });
  });

  it('refuses an invalid request before sending it, with every reason', async () => {
    await expect(firstValueFrom(client.send(QuoteRequested, { parcelId: 'p-8', weight: -1 }))).rejects.toThrow(
      /quote.requested is invalid: weight/,
    );
    expect((client as MessagingClient).requestsInFlight).toBe(0);
  });
});

/** ParseIntPipe on a @Payload() property, as a Nest user writes it; the transport connected after the app's init. */
class PageRequested {
  static readonly messageType = 'page.requested';
  static readonly schemaVersion = 1;
  @IsString() page!: string;
}

@Controller()
class PagesController {
  @MessagePattern(PageRequested)
  next(@Payload('page', ParseIntPipe) page: number): { next: number } {
    return { next: page + 1 };
  }
}

describe('The transport connected after the application has started', () => {
  let vhost: TestVhost;
  let app: INestApplication;

  beforeAll(async () => {
    vhost = await createTestVhost('transport-late');
    const moduleRef = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({ url: vhost.url, serviceName: 'pages', queueType: 'classic', delay: 'ladder', shutdownTimeoutMs: 500 }),
        MessagingTransportModule.forRoot(),
        MessagingClientsModule.register([{ name: 'PAGES' }]),
      ],
      controllers: [PagesController],
    }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
    app.connectMicroservice<MicroserviceOptions>({ strategy: app.get(MessagingTransport) });
    await app.startAllMicroservices();
    await app.get(ConsumerSupervisor).waitUntilReady();
  });

  afterAll(async () => {
    await app?.close();
    await vhost?.delete();
  });

  it('consumes its handlers at once, and pipes on @Payload() apply', async () => {
    const client = app.get<ClientProxy>('PAGES');
    expect(app.get(ConsumerSupervisor).queues).toEqual(['pages.page.requested']);
    await expect(firstValueFrom(client.send(PageRequested, { page: '41' }))).resolves.toEqual({ next: 42 });
    const refused = await firstValueFrom(client.send(PageRequested, { page: 'x' })).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RpcException);
    expect((refused as RpcException).message).toMatch(/numeric string is expected/);
    await expect(
      firstValueFrom(client.send<{ next: number }>(PageRequested, { page: '1' }).pipe(map((reply) => reply.next))),
    ).resolves.toBe(2);
  });
});

describe('The transport as a standalone microservice (no HTTP), its strategy from DI', () => {
  let vhost: TestVhost;
  let microservice: INestMicroservice;

  beforeAll(async () => {
    vhost = await createTestVhost('transport-standalone');
    const moduleRef = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({ url: vhost.url, serviceName: 'pages', queueType: 'classic', delay: 'ladder', shutdownTimeoutMs: 500 }),
        MessagingTransportModule.forRoot(),
        MessagingClientsModule.register([{ name: 'PAGES' }]),
      ],
      controllers: [PagesController],
    }).compile();
    microservice = moduleRef.createNestMicroservice<AsyncMicroserviceOptions>({
      useFactory: (transport: MessagingTransport) => ({ strategy: transport }),
      inject: [MessagingTransport],
    });
    await microservice.listen();
    await microservice.get(ConsumerSupervisor).waitUntilReady();
  });

  afterAll(async () => {
    await microservice?.close();
    await vhost?.delete();
  });

  it('consumes its handlers and answers requests', async () => {
    await expect(firstValueFrom(microservice.get<ClientProxy>('PAGES').send(PageRequested, { page: '6' }))).resolves.toEqual({ next: 7 });
  });
});
