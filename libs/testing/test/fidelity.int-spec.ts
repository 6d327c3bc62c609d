// Fidelity: one behaviour suite, run unchanged on the harness's in-memory transport and on the real RabbitMQ (with a
// PostgreSQL database for the outbox). What a handler sees and what lands in a dead-letter queue must be the same on
// both: a difference fails here, not in a user's production.
import {
  Injectable,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  type NestInterceptor,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { IsBoolean, IsInt, IsString } from 'class-validator';
import { tap, type Observable } from 'rxjs';
import {
  ConsumeStep,
  faultOf,
  Idempotent,
  MessageContext,
  MessageHandler,
  MessagingModule,
  PermanentError,
  Retryable,
  TransientError,
  type Delivery,
  type Fault,
  type NextStep,
} from '@app/messaging';
import { DatabaseModule, Outbox } from '@app/persistence';
import { FIDELITY_DRIVERS, type AppFactory, type FidelityDriver, type ReceivedDeadLetter } from './fidelity-drivers';

const SERVICE = 'fidelity';

class Job {
  static readonly messageType = 'fidelity.job';
  static readonly schemaVersion = 1;
  @IsString() id!: string;
  /** "ok", "transient-N" (fails N times), "permanent". */
  @IsString() behaviour!: string;
}

class Ping {
  static readonly messageType = 'fidelity.ping';
  static readonly schemaVersion = 1;
  @IsString() id!: string;
}

class Batch {
  static readonly messageType = 'fidelity.batch';
  static readonly schemaVersion = 1;
  @IsString() id!: string;
  @IsInt() steps!: number;
}

class Step {
  static readonly messageType = 'fidelity.step';
  static readonly schemaVersion = 1;
  @IsString() batch!: string;
  @IsString() key!: string;
  @IsInt() seq!: number;
}

class Guarded {
  static readonly messageType = 'fidelity.guarded';
  static readonly schemaVersion = 1;
  @IsString() id!: string;
  @IsBoolean() allowed!: boolean;
}

/** Every handler reads the transport's clock through this: virtual in memory, the wall clock on the broker. */
const clock = { now: (): number => Date.now() };

@Injectable()
class JobHandler {
  readonly attempts = new Map<string, Array<{ attempt: number; at: number }>>();
  readonly done = new Set<string>();

  @MessageHandler(Job)
  @Retryable({ maxAttempts: 3, backoff: { initialMs: 1000, factor: 2, jitter: 'none' } })
  onJob(job: Job, context: MessageContext): void {
    const seen = [...(this.attempts.get(job.id) ?? []), { attempt: context.attempt, at: clock.now() }];
    this.attempts.set(job.id, seen);
    if (job.behaviour === 'permanent') throw new PermanentError(`job ${job.id} can never work`);
    const transient = /^transient-(\d+)$/.exec(job.behaviour);
    if (transient && seen.length <= Number(transient[1])) throw new TransientError(`job ${job.id} failed for now`);
    this.done.add(job.id);
  }
}

@Injectable()
class FaultListener {
  readonly faults: Array<{ fault: Fault; causationId?: string; correlationId: string }> = [];

  @MessageHandler(faultOf(Job))
  onFault(fault: Fault, context: MessageContext): void {
    this.faults.push({ fault, causationId: context.causationId, correlationId: context.correlationId });
  }
}

@Injectable()
class PingHandler {
  readonly handled: string[] = [];

  @MessageHandler(Ping)
  @Idempotent({ store: 'memory' })
  onPing(ping: Ping, context: MessageContext): void {
    this.handled.push(context.messageId);
    void ping;
  }
}

/** A step of the user's, just before idempotency: sees each delivery, and whether it was skipped as a duplicate. */
@Injectable()
@ConsumeStep({ before: 'idempotency' })
class DuplicateWatch implements ConsumeStep {
  readonly seen: Array<{ messageId: string; duplicate: boolean }> = [];

  async handle(delivery: Delivery, next: NextStep): Promise<void> {
    await next();
    if (delivery.handler.messageClass === Ping) this.seen.push({ messageId: delivery.context.messageId, duplicate: delivery.duplicate });
  }
}

@Injectable()
class BatchHandler {
  constructor(private readonly outbox: Outbox) {}

  @MessageHandler(Batch)
  @Idempotent()
  async onBatch(batch: Batch, context: MessageContext): Promise<void> {
    for (let seq = 0; seq < batch.steps; seq++) {
      const key = `${batch.id}-k${seq % 2}`;
      await this.outbox.add(context.transaction, Step, { batch: batch.id, key, seq }, { aggregateKey: key });
    }
  }
}

@Injectable()
class StepHandler {
  readonly received: Array<{ step: Step; correlationId: string; causationId?: string }> = [];

  @MessageHandler(Step)
  onStep(step: Step, context: MessageContext): void {
    this.received.push({ step, correlationId: context.correlationId, causationId: context.causationId });
  }
}

@Injectable()
class OnlyAllowed implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToRpc().getData<Guarded>().allowed;
  }
}

@Injectable()
class Trail implements NestInterceptor {
  static readonly events: string[] = [];

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const { id } = context.switchToRpc().getData<Guarded>();
    Trail.events.push(`before ${id}`);
    return next.handle().pipe(tap(() => Trail.events.push(`after ${id}`)));
  }
}

@Injectable()
class GuardedHandler {
  @MessageHandler(Guarded)
  @UseGuards(OnlyAllowed)
  @UseInterceptors(Trail)
  onGuarded(message: Guarded): void {
    Trail.events.push(`handler ${message.id}`);
  }
}

const application: AppFactory = ({ messaging, database }) => ({
  imports: [MessagingModule.forRoot({ ...messaging, maxMessageBytes: 4096 }), DatabaseModule.forRoot(database)],
  providers: [JobHandler, FaultListener, PingHandler, DuplicateWatch, BatchHandler, StepHandler, OnlyAllowed, Trail, GuardedHandler],
});

const JOBS = `${SERVICE}.${Job.messageType}`;

describe.each(FIDELITY_DRIVERS.map((make) => [make().name, make] as const))('fidelity on %s', (_name, make) => {
  let driver: FidelityDriver;

  beforeAll(async () => {
    driver = make();
    clock.now = () => driver.now();
    Trail.events.length = 0;
    await driver.start(application, SERVICE);
  });

  afterAll(async () => {
    await driver?.stop();
  });

  it('acks a message its handler takes, on the first attempt', async () => {
    await driver.publish(Job, { id: 'ok-1', behaviour: 'ok' });
    const jobs = driver.get(JobHandler);
    await driver.until(() => jobs.done.has('ok-1'), 'ok-1 handled');
    expect(jobs.attempts.get('ok-1')!.map((seen) => seen.attempt)).toEqual([1]);
  });

  it('retries a transient failure with the configured delays, counting attempts', async () => {
    await driver.publish(Job, { id: 't2', behaviour: 'transient-2' });
    const jobs = driver.get(JobHandler);
    await driver.until(() => jobs.done.has('t2'), 't2 handled on its third attempt');
    const seen = jobs.attempts.get('t2')!;
    expect(seen.map((entry) => entry.attempt)).toEqual([1, 2, 3]);
    const gaps = [seen[1].at - seen[0].at, seen[2].at - seen[1].at];
    // The ladder delays by whole seconds; the broker adds its own hops on top, never less.
    expect(gaps[0]).toBeGreaterThanOrEqual(1000);
    expect(gaps[0]).toBeLessThan(2000);
    expect(gaps[1]).toBeGreaterThanOrEqual(2000);
    expect(gaps[1]).toBeLessThan(3000);
  });

  it('dead-letters a message whose attempts are used up, as exhausted', async () => {
    const { messageId } = await driver.publish(Job, { id: 't9', behaviour: 'transient-9' });
    const dead = await driver.deadLetter(JOBS, messageId);
    expect(driver.get(JobHandler).attempts.get('t9')).toHaveLength(3);
    expect(dead.properties.headers).toMatchObject({ 'x-error-type': 'exhausted', 'x-attempts': 3 });
  });

  it('dead-letters a permanent error at once, with the original body and every failure header, and publishes a fault', async () => {
    const { messageId, correlationId } = await driver.publish(Job, { id: 'p1', behaviour: 'permanent' });
    const dead = await driver.deadLetter(JOBS, messageId);
    expect(driver.get(JobHandler).attempts.get('p1')).toHaveLength(1);
    expect(JSON.parse(dead.content.toString())).toEqual({ id: 'p1', behaviour: 'permanent' });
    expect(dead.properties).toMatchObject({ messageId, type: Job.messageType, contentType: 'application/json' });
    const headers = dead.properties.headers!;
    expect(headers).toMatchObject({
      'x-error-type': 'permanent',
      'x-error-message': 'job p1 can never work',
      'x-attempts': 1,
      'x-original-exchange': 'domain.events',
      'x-original-routing-key': Job.messageType,
      'x-original-queue': JOBS,
      'x-handler': 'JobHandler.onJob',
      'x-correlation-id': correlationId,
      'x-schema-version': 1,
    });
    expect(String(headers['x-error-stack'])).toContain('PermanentError');
    expect(Date.parse(String(headers['x-first-failed-at']))).not.toBeNaN();
    expect(Date.parse(String(headers['x-last-failed-at']))).not.toBeNaN();

    const listener = driver.get(FaultListener);
    await driver.until(() => listener.faults.some((entry) => entry.fault.messageId === messageId), 'the fault event of p1');
    const received = listener.faults.find((entry) => entry.fault.messageId === messageId)!;
    expect(received.fault).toMatchObject({ messageType: Job.messageType, errorType: 'permanent', correlationId, queue: JOBS, attempts: 1 });
    expect(received.fault.message).toEqual({ id: 'p1', behaviour: 'permanent' });
    expect(received).toMatchObject({ correlationId, causationId: messageId });
  });

  it('dead-letters each kind of poison input on its first delivery, body byte for byte, as validation', async () => {
    const poison: Array<[string, Buffer, Record<string, unknown>, RegExp]> = [
      ['not-json', Buffer.from('{oops'), { contentType: 'application/json' }, /not valid JSON/],
      ['wrong-type', Buffer.from('<job/>'), { contentType: 'application/xml' }, /content type/],
      [
        'too-big',
        Buffer.from(JSON.stringify({ id: 'x', behaviour: 'x'.repeat(5000) })),
        { contentType: 'application/json' },
        /exceeds the limit/,
      ],
      ['invalid', Buffer.from(JSON.stringify({ id: 7 })), { contentType: 'application/json' }, /id must be a string/],
      ['unknown-type', Buffer.from('{}'), { contentType: 'application/json', type: 'job.cancelled' }, /Unknown message type/],
      [
        'newer-schema',
        Buffer.from(JSON.stringify({ id: 'n', behaviour: 'ok' })),
        { contentType: 'application/json', headers: { 'x-schema-version': 2 } },
        /newer than the 1/,
      ],
      [
        'forged-attempts',
        Buffer.from(JSON.stringify({ id: 'f' })),
        { contentType: 'application/json', headers: { 'x-attempts': 'many' } },
        /x-attempts/,
      ],
    ];
    for (const [id, body, properties] of poison) {
      await driver.publishRaw(Job.messageType, body, { messageId: `poison-${id}`, type: Job.messageType, ...properties });
    }
    for (const [id, body, , reason] of poison) {
      const dead = await driver.deadLetter(JOBS, `poison-${id}`);
      expect(dead.content.equals(body)).toBe(true);
      expect(dead.properties.headers).toMatchObject({ 'x-error-type': 'validation', 'x-attempts': 1 });
      expect(String(dead.properties.headers!['x-error-message'])).toMatch(reason);
    }
    expect([...driver.get(JobHandler).attempts.keys()].filter((id) => ['x', 'n', 'f'].includes(id))).toEqual([]);
  });

  it('skips a duplicate: the handler runs once for two deliveries of one message id', async () => {
    await driver.publish(Ping, { id: 'twice' }, { messageId: 'ping-twice' });
    await driver.publish(Ping, { id: 'twice' }, { messageId: 'ping-twice' });
    const watch = driver.get(DuplicateWatch);
    await driver.until(() => watch.seen.filter((entry) => entry.messageId === 'ping-twice').length === 2, 'both deliveries of ping-twice');
    expect(watch.seen.filter((entry) => entry.messageId === 'ping-twice').map((entry) => entry.duplicate)).toEqual([false, true]);
    expect(driver.get(PingHandler).handled.filter((id) => id === 'ping-twice')).toEqual(['ping-twice']);
  });

  it('publishes outbox rows in order per key, correlated with and caused by the message that wrote them', async () => {
    const { messageId, correlationId } = await driver.publish(Batch, { id: 'b1', steps: 8 });
    const steps = driver.get(StepHandler);
    const ofBatch = () => steps.received.filter((entry) => entry.step.batch === 'b1');
    await driver.until(() => ofBatch().length === 8, 'the 8 steps of b1');
    for (const key of ['b1-k0', 'b1-k1']) {
      const order = ofBatch()
        .filter((entry) => entry.step.key === key)
        .map((entry) => entry.step.seq);
      expect(order).toEqual([...order].sort((a, b) => a - b));
      expect(order).toHaveLength(4);
    }
    expect(ofBatch().every((entry) => entry.correlationId === correlationId && entry.causationId === messageId)).toBe(true);
  });

  it("applies the user's guard and interceptor: around the handler when allowed, dead letter when refused", async () => {
    await driver.publish(Guarded, { id: 'g-yes', allowed: true });
    await driver.until(() => Trail.events.includes('after g-yes'), 'g-yes handled');
    expect(Trail.events.filter((event) => event.endsWith('g-yes'))).toEqual(['before g-yes', 'handler g-yes', 'after g-yes']);

    const { messageId } = await driver.publish(Guarded, { id: 'g-no', allowed: false });
    const dead = await driver.deadLetter(`${SERVICE}.${Guarded.messageType}`, messageId);
    expect(dead.properties.headers!['x-error-type']).toBe('permanent');
    expect(String(dead.properties.headers!['x-error-message'])).toMatch(/Forbidden/i);
    expect(Trail.events.filter((event) => event.endsWith('g-no'))).toEqual([]);
  });
});

/** A dead letter's properties and headers, less what differs by nature (times, a stack's frames). */
function comparable(letter: ReceivedDeadLetter): Record<string, unknown> {
  const { headers = {}, timestamp, ...properties } = letter.properties;
  const varying = new Set(['x-first-failed-at', 'x-last-failed-at', 'x-error-stack']);
  return {
    properties: Object.fromEntries(Object.entries(properties as Record<string, unknown>).filter(([, value]) => value !== undefined)),
    timestamp: typeof timestamp,
    headers: Object.fromEntries(
      Object.entries(headers as Record<string, unknown>).map(([name, value]) => [name, varying.has(name) ? typeof value : value]),
    ),
    content: letter.content.toString('base64'),
  };
}

describe('one message dead-lettered on both transports', () => {
  it('leaves the same dead letter on each: every property and header, the body byte for byte', async () => {
    const letters: ReceivedDeadLetter[] = [];
    for (const make of FIDELITY_DRIVERS) {
      const driver = make();
      clock.now = () => driver.now();
      await driver.start(application, SERVICE);
      try {
        await driver.publish(Job, { id: 'same', behaviour: 'permanent' }, { messageId: 'same-1', correlationId: 'same-correlation' });
        letters.push(await driver.deadLetter(JOBS, 'same-1'));
      } finally {
        await driver.stop();
      }
    }
    const [inMemory, onBroker] = letters.map(comparable);
    expect(inMemory).toEqual(onBroker);
  }, 180_000); // two applications start and stop in it
});
