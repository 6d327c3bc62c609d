// Integration: the Nest microservices transport with the service's database (PostgreSQL). An @Idempotent @EventPattern
// handler gets @Ctx().transaction, its writes and inbox mark commit together; the client's inTransaction(tx).emit()
// writes the message to the outbox in that transaction, published once it commits and never if it rolls back.
import { Controller, Inject, type INestApplication } from '@nestjs/common';
import { Ctx, EventPattern, Payload, type ClientProxy, type MicroserviceOptions } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { IsString } from 'class-validator';
import { lastValueFrom } from 'rxjs';
import {
  ConsumerSupervisor,
  Idempotent,
  MessageContext,
  MessagingClient,
  MessagingClientsModule,
  MessagingModule,
  MessagingTransport,
  MessagingTransportModule,
  OUTBOX_WRITER,
} from '@app/messaging';
import { DATABASE, DatabaseModule, Outbox, outboxTable, type DatabaseHandle } from '@app/persistence';
import { eq } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { createTestVhost, eventually, type TestVhost } from '../../../test/support/test-broker';
import { QueueObserver, sleep } from '../../../test/support/queue-observer';

class InvoiceRequested {
  static readonly messageType = 'invoice.requested';
  static readonly schemaVersion = 1;
  @IsString() invoiceId!: string;
}

class InvoiceIssued {
  static readonly messageType = 'invoice.issued';
  static readonly schemaVersion = 1;
  @IsString() invoiceId!: string;
}

class Abort extends Error {}

@Controller()
class InvoicesController {
  readonly seen: Array<{ invoiceId: string; hadTransaction: boolean }> = [];

  constructor(@Inject('INVOICES') private readonly client: MessagingClient) {}

  @EventPattern(InvoiceRequested)
  @Idempotent()
  async issue(@Payload() request: InvoiceRequested, @Ctx() context: MessageContext): Promise<void> {
    this.seen.push({ invoiceId: request.invoiceId, hadTransaction: context.transaction !== undefined });
    await lastValueFrom(this.client.inTransaction(context.transaction).emit(InvoiceIssued, { invoiceId: request.invoiceId }));
    if (request.invoiceId.startsWith('abort')) throw new Abort('the invoice run was cancelled');
  }
}

describe('The transport with the database: transactions and the outbox', () => {
  let vhost: TestVhost;
  let testDb: TestDatabase;
  let app: INestApplication;
  let client: ClientProxy;
  let issued: QueueObserver;

  beforeAll(async () => {
    vhost = await createTestVhost('transport-tx');
    testDb = await createTestDatabase('transport_tx');
    const moduleRef = await Test.createTestingModule({
      imports: [
        DatabaseModule.forRoot({ serviceName: 'invoices', url: testDb.url, outbox: { pollIntervalMs: 20 } }),
        MessagingModule.forRoot({
          url: vhost.url,
          serviceName: 'invoices',
          queueType: 'classic',
          delay: 'ladder',
          shutdownTimeoutMs: 500,
          retry: { maxAttempts: 1 },
          publishFaults: false,
        }),
        MessagingTransportModule.forRoot(),
        MessagingClientsModule.register([{ name: 'INVOICES' }]),
      ],
      controllers: [InvoicesController],
    }).compile();
    app = moduleRef.createNestApplication();
    app.connectMicroservice<MicroserviceOptions>({ strategy: app.get(MessagingTransport) });
    await app.startAllMicroservices();
    await app.init();
    await app.get(ConsumerSupervisor).waitUntilReady();
    client = app.get<ClientProxy>('INVOICES');
    issued = await QueueObserver.open(vhost.url, 'observer.invoice-issued', { routingKey: 'invoice.issued' });
  });

  afterAll(async () => {
    await issued?.close();
    await app?.close();
    await testDb?.drop();
    await vhost?.delete();
  });

  it('provides the outbox to the messaging library (OUTBOX_WRITER is the Outbox)', () => {
    expect(app.get(OUTBOX_WRITER)).toBe(app.get(Outbox));
  });

  it('hands an @Idempotent pattern handler its transaction; what it emits in it is published once it commits', async () => {
    await lastValueFrom(client.emit(InvoiceRequested, { invoiceId: 'inv-1' }));
    await eventually(async () => (await issued.depth()) === 1, 'invoice.issued published by the relay');
    const [message] = await issued.drain();
    expect(JSON.parse(message.content.toString())).toEqual({ invoiceId: 'inv-1' });
    expect(app.get(InvoicesController).seen).toContainEqual({ invoiceId: 'inv-1', hadTransaction: true });
  });

  it('publishes nothing a rolled-back handler emitted in its transaction, and keeps no row of it', async () => {
    await lastValueFrom(client.emit(InvoiceRequested, { invoiceId: 'abort-2' }));
    await eventually(() => app.get(InvoicesController).seen.some((entry) => entry.invoiceId === 'abort-2'), 'abort-2 handled');
    await sleep(500);
    expect(await issued.depth()).toBe(0);
    const rows = await app.get<DatabaseHandle>(DATABASE).db.select().from(outboxTable).where(eq(outboxTable.messageType, 'invoice.issued'));
    expect(rows.map((row) => JSON.parse(row.content) as { invoiceId: string })).toEqual([{ invoiceId: 'inv-1' }]);
  });
});
