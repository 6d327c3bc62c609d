// Integration: an application extends the pipelines through DI (a consume step that dead-letters another tenant's
// messages, a publish step that stamps a header), takes its parameters with decorators (its own beside the
// library's), and a duplicate is skipped before any guard or interceptor of the user's runs.
import {
  createParamDecorator,
  Injectable,
  UseGuards,
  UseInterceptors,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
  type NestInterceptor,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { ChannelModel } from 'amqplib';
import { IsString } from 'class-validator';
import type { Observable } from 'rxjs';
import {
  ConsumerSupervisor,
  ConsumeStep,
  Ctx,
  Delivery,
  Idempotent,
  MessageContext,
  MessageHandler,
  MessageHeaders,
  MessagePublisher,
  MessagingModule,
  Payload,
  PermanentError,
  Publication,
  PublishStep,
  type NextPublishStep,
  type NextStep,
} from '@app/messaging';
import { createTestVhost, eventually, getOne, type TestVhost } from '../../../test/support/test-broker';

const TENANT_HEADER = 'x-tenant';

class InvoiceRaised {
  static readonly messageType = 'invoice.raised';
  static readonly schemaVersion = 1;
  @IsString() invoiceId!: string;
  @IsString() customer!: string;
}

class ReceiptIssued {
  static readonly messageType = 'receipt.issued';
  static readonly schemaVersion = 1;
  @IsString() receiptId!: string;
}

/** The tenant this service runs for; the publish step stamps it, the consume step checks it. */
@Injectable()
class TenantConfig {
  tenant = 'acme';
}

@Injectable()
@ConsumeStep({ after: 'envelope' })
class TenantCheck implements ConsumeStep {
  readonly seen: string[] = [];

  constructor(private readonly config: TenantConfig) {}

  handle(delivery: Delivery, next: NextStep): void | Promise<void> {
    const tenant = delivery.context.headers[TENANT_HEADER];
    this.seen.push(delivery.context.messageId);
    if (tenant !== this.config.tenant) {
      throw new PermanentError(`Message of tenant "${String(tenant)}" refused by tenant "${this.config.tenant}"`);
    }
    return next();
  }
}

@Injectable()
@PublishStep({ after: 'correlation' })
class TenantStamp implements PublishStep {
  constructor(private readonly config: TenantConfig) {}

  handle(publication: Publication, next: NextPublishStep): Promise<void> {
    publication.wire.properties.headers[TENANT_HEADER] = this.config.tenant;
    return next();
  }
}

/** Records each delivery once the rest of the pipeline is done with it, and whether it was a duplicate. */
@Injectable()
@ConsumeStep({ after: 'validate' })
class Audit implements ConsumeStep {
  readonly settled: Array<{ messageId: string; duplicate: boolean }> = [];

  async handle(delivery: Delivery, next: NextStep): Promise<void> {
    await next();
    this.settled.push({ messageId: delivery.context.messageId, duplicate: delivery.duplicate });
  }
}

/** A parameter decorator of the application's own, reading the message's headers through the execution context. */
const Tenant = createParamDecorator(
  (_data: unknown, execution: ExecutionContext) => execution.switchToRpc().getContext<MessageContext>().headers[TENANT_HEADER],
);

@Injectable()
class Counting implements CanActivate, NestInterceptor {
  guards = 0;
  interceptors = 0;

  canActivate(): boolean {
    this.guards++;
    return true;
  }

  intercept(_execution: ExecutionContext, next: CallHandler): Observable<unknown> {
    this.interceptors++;
    return next.handle();
  }
}

@Injectable()
class Handlers {
  readonly invoices: Array<{ customer: string; invoiceId: string; tenant: unknown; attempt: number }> = [];
  readonly receipts: string[] = [];

  @MessageHandler(InvoiceRaised)
  onInvoice(
    @Ctx() context: MessageContext,
    @Payload('customer') customer: string,
    @Tenant() tenant: unknown,
    @Payload() invoice: InvoiceRaised,
  ): void {
    this.invoices.push({ customer, invoiceId: invoice.invoiceId, tenant, attempt: context.attempt });
  }

  @MessageHandler(ReceiptIssued)
  @Idempotent({ store: 'memory' })
  @UseGuards(Counting)
  @UseInterceptors(Counting)
  onReceipt(receipt: ReceiptIssued): void {
    this.receipts.push(receipt.receiptId);
  }
}

describe('extending the pipelines', () => {
  let vhost: TestVhost;
  let app: INestApplication;
  let publisher: MessagePublisher;
  let handlers: Handlers;
  let observer: ChannelModel;

  beforeAll(async () => {
    vhost = await createTestVhost('pipeline-ext');
    const moduleRef = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({ url: vhost.url, serviceName: 'billing', queueType: 'classic', delay: 'ladder', shutdownTimeoutMs: 500 }),
      ],
      providers: [TenantConfig, TenantCheck, TenantStamp, Audit, Counting, Handlers],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    await app.get(ConsumerSupervisor).waitUntilReady();
    publisher = app.get(MessagePublisher);
    handlers = app.get(Handlers);
    observer = await vhost.connect();
  });

  afterAll(async () => {
    await observer?.close();
    await app?.close();
    await vhost?.delete();
  });

  it("stamps every publish with the application's publish step", async () => {
    const { messageId } = await publisher.publish(InvoiceRaised, { invoiceId: 'inv-1', customer: 'Ada' });

    await eventually(() => handlers.invoices.some((invoice) => invoice.invoiceId === 'inv-1'), 'inv-1 handled');
    expect(app.get(TenantCheck).seen).toContain(messageId);
    expect(handlers.invoices.find((invoice) => invoice.invoiceId === 'inv-1')).toEqual({
      customer: 'Ada',
      invoiceId: 'inv-1',
      tenant: 'acme',
      attempt: 1,
    });
  });

  it("dead-letters another tenant's message at the application's consume step, with its reason, without running the handler", async () => {
    const channel = await observer.createConfirmChannel();
    const body = JSON.stringify({ invoiceId: 'inv-foreign', customer: 'Mallory' });
    channel.publish('domain.events', InvoiceRaised.messageType, Buffer.from(body), {
      messageId: 'foreign-1',
      type: InvoiceRaised.messageType,
      contentType: 'application/json',
      headers: { [TENANT_HEADER]: 'globex' },
    });
    await channel.waitForConfirms();
    await channel.close();

    const dead = await getOne(observer, 'billing.invoice.raised.dlq');
    expect(dead.properties.messageId).toBe('foreign-1');
    expect(dead.properties.headers?.[MessageHeaders.errorType]).toBe('permanent');
    expect(String(dead.properties.headers?.[MessageHeaders.errorMessage])).toBe('Message of tenant "globex" refused by tenant "acme"');
    expect(dead.content.toString('utf8')).toBe(body);
    expect(handlers.invoices.some((invoice) => invoice.invoiceId === 'inv-foreign')).toBe(false);
  });

  it("skips a duplicate before the user's guards and interceptors run", async () => {
    const counting = app.get(Counting);
    const before = { guards: counting.guards, interceptors: counting.interceptors };
    const messageId = 'receipt-dup-1';

    for (let i = 0; i < 3; i++) await publisher.publish(ReceiptIssued, { receiptId: 'r-1' }, { messageId });
    await publisher.publish(ReceiptIssued, { receiptId: 'r-2' });
    const audit = app.get(Audit);
    const duplicatesOf = (id: string) => audit.settled.filter((entry) => entry.messageId === id && entry.duplicate).length;
    // A copy that arrives while the first is still in its handler is retried a moment later, then skipped too.
    await eventually(() => duplicatesOf(messageId) === 2 && handlers.receipts.includes('r-2'), 'both duplicates skipped and r-2 handled');

    expect(handlers.receipts.filter((id) => id === 'r-1')).toHaveLength(1);
    expect(counting.guards - before.guards).toBe(2);
    expect(counting.interceptors - before.interceptors).toBe(2);
  });
});
