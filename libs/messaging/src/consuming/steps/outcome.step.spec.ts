// Protects the fate of each delivery: ack, a retry copy through the delay route, or a dead letter and its fault event.
import { createHash } from 'node:crypto';
import type { Logger } from '@nestjs/common';
import type { Options } from 'amqplib';
import { DependencyUnavailableError, MessageDecodeError, PermanentError, TransientError, validateMessage } from '@app/messaging-core';
import { faultMessageId, faultOf, type Fault } from '../../dead-letter/fault';
import { deliveryOf, handlerFor, rawDelivery, RecordingChannel, type RawParts } from '../../../../../test/support/deliveries';
import type { HandlerDefinition } from '../../handlers/handler-definition';
import type { ConsumeOutcome, ConsumerInstrumentation, MessagingInstrumentation } from '../../instrumentation/messaging-instrumentation';
import { resolveMessagingOptions, type MessagingModuleOptions } from '../../options/messaging-options';
import type { DelayScheduler } from '../../retry/delay-scheduler';
import type { DelayRoute } from '../../retry/delay-route';
import { TopologyNames } from '../../topology/topology-names';
import type { Delivery } from '../delivery';
import { DEFER_DELAY_MS } from '../outcome';
import { OutcomeStep } from './outcome.step';

class OrderPlaced {
  static readonly messageType = 'order.placed';
  static readonly schemaVersion = 1;
}

const QUEUE = 'test.order.placed';
// Not ASCII and not in JSON.stringify's spacing: a copy that re-encoded the body would differ.
const BODY = '{"orderId":"o-1",  "note":"crème brûlée ☕"}';
const ISO_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
/** A retry copy arrives through the delay ladder's delivery exchange: only there is its x-attempts believed. */
const RETRY_EXCHANGE = 'delay.delivery';

/** Where the delay scheduler sends a retry: a route of its own, so that the copy can only have come from it. */
class FakeDelays {
  readonly asked: Array<{ queue: string; delayMs: number }> = [];

  route(queue: string, delayMs: number): DelayRoute {
    this.asked.push({ queue, delayMs });
    return { exchange: 'delay.test', routingKey: `after.${delayMs}.${queue}`, headers: { 'x-test-delay': delayMs } };
  }
}

class RecordingInstrumentation implements MessagingInstrumentation {
  readonly outcomes: Array<{ queue: string; type: string; outcome: ConsumeOutcome; reason?: string }> = [];

  forConsumer(queue: string, type: string): ConsumerInstrumentation {
    return {
      consumed: () => undefined,
      outcome: (outcome, seconds, reason) => {
        expect(seconds).toBeGreaterThanOrEqual(0);
        this.outcomes.push({ queue, type, outcome, ...(reason === undefined ? {} : { reason }) });
      },
    };
  }

  forPublish() {
    return { confirmed: () => undefined, failed: () => undefined };
  }

  setSampler(): void {}
}

/** A channel that fails only the publishes `fails` picks (the others are recorded). */
class PickyChannel extends RecordingChannel {
  constructor(private readonly fails: (exchange: string, routingKey: string) => boolean) {
    super();
  }

  override async publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish): Promise<void> {
    if (this.fails(exchange, routingKey)) throw new Error('broker refused the publish');
    return super.publish(exchange, routingKey, content, options);
  }
}

/** A channel whose publishes wait until the test confirms them. */
class ConfirmLaterChannel extends RecordingChannel {
  private confirms: Array<() => void> = [];

  override async publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish): Promise<void> {
    await new Promise<void>((resolve) => this.confirms.push(resolve));
    return super.publish(exchange, routingKey, content, options);
  }

  get waiting(): number {
    return this.confirms.length;
  }

  confirmAll(): void {
    for (const confirm of this.confirms.splice(0)) confirm();
  }
}

function setup(options: MessagingModuleOptions = {}, handlerOverrides: Partial<HandlerDefinition> = {}) {
  const delays = new FakeDelays();
  const instrumentation = new RecordingInstrumentation();
  const step = new OutcomeStep(
    resolveMessagingOptions({ serviceName: 'svc', ...options }, {}),
    new TopologyNames('domain.events', 'svc'),
    delays as unknown as DelayScheduler,
    instrumentation,
  );
  const handler = handlerFor(OrderPlaced, handlerOverrides);
  expect(step.forHandler(handler)).toBe(step);
  const deliver = (channel: RecordingChannel = new RecordingChannel(), parts: RawParts = {}): Delivery =>
    deliveryOf(
      handler,
      rawDelivery(OrderPlaced.messageType, { body: BODY, ...parts, headers: { 'x-correlation-id': 'c-42', ...parts.headers } }),
      channel,
    );
  return { step, delays, instrumentation, deliver };
}

/**
 * How the channel settled `delivery`: 'acked' and 'requeued', once per call. Compared as strings, because a failed
 * comparison of Delivery objects makes Jest read MessageContext.transaction, which throws and hides the diff.
 */
function fateOf(channel: RecordingChannel, delivery: Delivery): string[] {
  return [
    ...channel.acked.filter((d) => d === delivery).map(() => 'acked'),
    ...channel.requeued.filter((d) => d === delivery).map(() => 'requeued'),
  ];
}

// eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- some cases reject with a string or undefined on purpose
const failWith = (error: unknown) => (): Promise<void> => Promise.reject(error);

describe('OutcomeStep on success', () => {
  it('acks a delivery whose steps return, at once and without a promise', () => {
    const { step, instrumentation, deliver } = setup();
    const channel = new RecordingChannel();
    const delivery = deliver(channel);

    const result = step.handle(delivery, () => undefined);

    expect(result).toBeUndefined();
    expect(fateOf(channel, delivery)).toEqual(['acked']);
    expect(channel.published).toEqual([]);
    expect(instrumentation.outcomes).toEqual([{ queue: QUEUE, type: 'order.placed', outcome: 'ack' }]);
  });

  it('acks a delivery whose steps resolve, once they have resolved', async () => {
    const { step, deliver } = setup();
    const channel = new RecordingChannel();
    const delivery = deliver(channel);
    let finish!: () => void;

    const result = step.handle(delivery, () => new Promise<void>((resolve) => (finish = resolve)));
    expect(fateOf(channel, delivery)).toEqual([]);
    finish();
    await result;

    expect(fateOf(channel, delivery)).toEqual(['acked']);
  });

  it("reports a delivery the idempotency step found already handled as 'duplicate', and acks it", async () => {
    const { step, instrumentation, deliver } = setup();
    const channel = new RecordingChannel();
    const delivery = deliver(channel);

    await step.handle(delivery, () => {
      delivery.duplicate = true;
    });

    expect(fateOf(channel, delivery)).toEqual(['acked']);
    expect(instrumentation.outcomes).toEqual([{ queue: QUEUE, type: 'order.placed', outcome: 'duplicate' }]);
  });
});

describe('OutcomeStep on a transient error', () => {
  it("publishes a retry copy to the delay scheduler's route, with the attempt count and the original body, then acks", async () => {
    const { step, delays, instrumentation, deliver } = setup();
    const channel = new RecordingChannel();
    const delivery = deliver(channel);

    await step.handle(delivery, failWith(new TransientError('database busy')));

    // Attempt 1 of 3 with a first delay of 1000 ms (handlerFor's policy, no jitter).
    expect(delays.asked).toEqual([{ queue: QUEUE, delayMs: 1000 }]);
    expect(channel.published).toHaveLength(1);
    const [copy] = channel.published;
    expect(copy.exchange).toBe('delay.test');
    expect(copy.routingKey).toBe(`after.1000.${QUEUE}`);
    expect(copy.content.equals(Buffer.from(BODY, 'utf8'))).toBe(true);
    expect(copy.options).toMatchObject({ messageId: 'm-1', type: 'order.placed', contentType: 'application/json', persistent: true });
    expect(copy.options.headers).toMatchObject({
      'x-attempts': 1,
      'x-first-failed-at': expect.stringMatching(ISO_DATE),
      'x-correlation-id': 'c-42',
      'x-test-delay': 1000,
    });
    expect(fateOf(channel, delivery)).toEqual(['acked']);
    expect(instrumentation.outcomes).toEqual([{ queue: QUEUE, type: 'order.placed', outcome: 'retry' }]);
  });

  it('counts the attempts on a later failure and keeps when the message first failed', async () => {
    const { step, delays, deliver } = setup();
    const channel = new RecordingChannel();
    const firstFailedAt = '2030-01-02T03:04:05.000Z';

    await step.handle(
      deliver(channel, { headers: { 'x-attempts': 1, 'x-first-failed-at': firstFailedAt }, exchange: RETRY_EXCHANGE }),
      failWith(new TransientError('still busy')),
    );

    expect(delays.asked).toEqual([{ queue: QUEUE, delayMs: 2000 }]);
    expect(channel.published[0].options.headers).toMatchObject({ 'x-attempts': 2, 'x-first-failed-at': firstFailedAt });
  });

  it('acks only once the broker has confirmed the retry copy', async () => {
    const { step, deliver } = setup();
    const channel = new ConfirmLaterChannel();
    const delivery = deliver(channel);

    const result = step.handle(delivery, failWith(new TransientError('database busy')));
    for (let turn = 0; turn < 50 && channel.waiting === 0; turn++) await Promise.resolve();
    expect(channel.waiting).toBe(1);
    expect(fateOf(channel, delivery)).toEqual([]);
    channel.confirmAll();
    await result;

    expect(fateOf(channel, delivery)).toEqual(['acked']);
  });

  it('does not carry the expiration or the user id of the delivery over to the copy', async () => {
    const { step, deliver } = setup();
    const channel = new RecordingChannel();

    await step.handle(
      deliver(channel, { properties: { expiration: '60000', userId: 'orders-service' } }),
      failWith(new TransientError('busy')),
    );

    expect(channel.published[0].options).not.toHaveProperty('expiration');
    expect(channel.published[0].options).not.toHaveProperty('userId');
  });

  it("dead-letters as 'exhausted' a transient error on the last attempt, without asking for a delay", async () => {
    const { step, delays, instrumentation, deliver } = setup();
    const channel = new RecordingChannel();
    const delivery = deliver(channel, { headers: { 'x-attempts': 2 }, exchange: RETRY_EXCHANGE });

    await step.handle(delivery, failWith(new TransientError('database busy')));

    expect(delays.asked).toEqual([]);
    expect(channel.published[0].routingKey).toBe(`${QUEUE}.dlq`);
    expect(channel.published[0].options.headers).toMatchObject({ 'x-error-type': 'exhausted', 'x-attempts': 3 });
    expect(fateOf(channel, delivery)).toEqual(['acked']);
    expect(instrumentation.outcomes).toEqual([{ queue: QUEUE, type: 'order.placed', outcome: 'dead-letter', reason: 'exhausted' }]);
  });
});

describe('OutcomeStep on a permanent error', () => {
  it('publishes the dead letter to <exchange>.dead-letter with routing key <queue>.dlq, the original body and every reason header', async () => {
    const { step, deliver } = setup();
    const channel = new RecordingChannel();

    await step.handle(deliver(channel), failWith(new PermanentError('customer was deleted')));

    const deadLetter = channel.published[0];
    expect(deadLetter.exchange).toBe('domain.events.dead-letter');
    expect(deadLetter.routingKey).toBe(`${QUEUE}.dlq`);
    expect(deadLetter.content.equals(Buffer.from(BODY, 'utf8'))).toBe(true);
    expect(deadLetter.options).toMatchObject({ messageId: 'm-1', type: 'order.placed', persistent: true });
    expect(deadLetter.options.headers).toEqual({
      'x-correlation-id': 'c-42',
      'x-attempts': 1,
      'x-error-type': 'permanent',
      'x-error-message': 'customer was deleted',
      'x-error-stack': expect.stringContaining('PermanentError: customer was deleted'),
      'x-first-failed-at': expect.stringMatching(ISO_DATE),
      'x-last-failed-at': expect.stringMatching(ISO_DATE),
      'x-original-exchange': 'domain.events',
      'x-original-routing-key': 'order.placed',
      'x-original-queue': QUEUE,
      'x-handler': 'TestHandler.handle',
    });
  });

  it('then publishes a fault event fault.<type> on the events exchange, carrying the original body, and acks', async () => {
    const { step, instrumentation, deliver } = setup();
    const channel = new RecordingChannel();
    const delivery = deliver(channel);

    await step.handle(delivery, failWith(new PermanentError('customer was deleted')));

    expect(channel.published.map((p) => `${p.exchange} ${p.routingKey}`)).toEqual([
      'domain.events.dead-letter test.order.placed.dlq',
      'domain.events fault.order.placed',
    ]);
    const [deadLetter, fault] = channel.published;
    expect(fault.options).toMatchObject({ type: 'fault.order.placed', correlationId: 'c-42', persistent: true });
    // Derived from the failure, not random: the same fault sent again after a crash has the same id.
    expect(fault.options.messageId).toBe(faultMessageId({ queue: QUEUE, messageId: 'm-1', replays: 0, attempt: 1 }));
    expect(fault.options.headers).toMatchObject({ 'x-correlation-id': 'c-42', 'x-causation-id': 'm-1' });
    expect(JSON.parse(fault.content.toString('utf8'))).toEqual({
      messageId: 'm-1',
      messageType: 'order.placed',
      correlationId: 'c-42',
      queue: QUEUE,
      handler: 'TestHandler.handle',
      errorType: 'permanent',
      errorMessage: 'customer was deleted',
      attempts: 1,
      failedAt: (deadLetter.options.headers as Record<string, unknown>)['x-last-failed-at'],
      message: JSON.parse(BODY) as unknown,
      original: {
        deadLetterQueue: `${QUEUE}.dlq`,
        bytes: Buffer.byteLength(BODY),
        sha256: createHash('sha256').update(BODY).digest('hex'),
        carried: true,
      },
    });
    expect(fateOf(channel, delivery)).toEqual(['acked']);
    expect(instrumentation.outcomes).toEqual([{ queue: QUEUE, type: 'order.placed', outcome: 'dead-letter', reason: 'permanent' }]);
  });

  it("dead-letters as 'validation' an undecodable delivery a step before the handler threw on synchronously", async () => {
    const { step, deliver } = setup();
    const channel = new RecordingChannel();
    const delivery = deliver(channel);

    const result = step.handle(delivery, () => {
      throw new MessageDecodeError('Body is not valid JSON');
    });
    await result;

    expect(result).toBeInstanceOf(Promise);
    expect(channel.published[0].options.headers).toMatchObject({
      'x-error-type': 'validation',
      'x-error-message': 'Body is not valid JSON',
    });
    expect(fateOf(channel, delivery)).toEqual(['acked']);
  });

  it('sends no fault event when publishFaults is false', async () => {
    const { step, deliver } = setup({ publishFaults: false });
    const channel = new RecordingChannel();
    const delivery = deliver(channel);

    await step.handle(delivery, failWith(new PermanentError('customer was deleted')));

    expect(channel.published.map((p) => p.routingKey)).toEqual([`${QUEUE}.dlq`]);
    expect(fateOf(channel, delivery)).toEqual(['acked']);
  });

  it("dead-letters as permanent when a classifier of the user's throws", async () => {
    const brokenClassifier = (): undefined => {
      throw new Error('classifier bug');
    };
    const { step, delays, instrumentation, deliver } = setup({}, { classifiers: [brokenClassifier] });
    const channel = new RecordingChannel();
    const delivery = deliver(channel);

    await step.handle(delivery, failWith(new TransientError('database busy')));

    expect(delays.asked).toEqual([]);
    expect(channel.published[0].routingKey).toBe(`${QUEUE}.dlq`);
    // The handler's own error, not the classifier's, says why the message failed.
    expect(channel.published[0].options.headers).toMatchObject({ 'x-error-type': 'permanent', 'x-error-message': 'database busy' });
    expect(fateOf(channel, delivery)).toEqual(['acked']);
    expect(instrumentation.outcomes).toEqual([{ queue: QUEUE, type: 'order.placed', outcome: 'dead-letter', reason: 'permanent' }]);
  });
});

describe('OutcomeStep with an error that cannot be read', () => {
  function unreadable<T extends Error>(error: T): T {
    Object.defineProperty(error, 'message', {
      get() {
        throw new Error('message cannot be read');
      },
    });
    return error;
  }

  it('dead-letters it, saying it could not be described, and acks it', async () => {
    const { step, deliver } = setup();
    const channel = new RecordingChannel();
    const delivery = deliver(channel);

    await step.handle(delivery, failWith(unreadable(new PermanentError('x'))));

    expect(channel.published[0].options.headers).toMatchObject({ 'x-error-message': 'the error could not be described' });
    expect(fateOf(channel, delivery)).toEqual(['acked']);
  });

  it('retries it with one copy, acked, never requeued as well', async () => {
    const { step, deliver } = setup();
    const channel = new RecordingChannel();
    const delivery = deliver(channel);

    await step.handle(delivery, failWith(unreadable(new TransientError('x'))));

    expect(channel.published.map((p) => p.exchange)).toEqual(['delay.test']);
    expect(fateOf(channel, delivery)).toEqual(['acked']);
  });
});

describe('OutcomeStep when its copy cannot be published', () => {
  it.each([
    ['retry copy', new TransientError('database busy')],
    ['dead letter', new PermanentError('customer was deleted')],
  ])('gives the delivery back to its queue and does not ack it, when the %s is refused', async (_copy, error) => {
    const { step, instrumentation, deliver } = setup();
    const channel = new RecordingChannel();
    channel.failPublishes = true;
    const delivery = deliver(channel);

    await step.handle(delivery, failWith(error));

    expect(fateOf(channel, delivery)).toEqual(['requeued']);
    expect(instrumentation.outcomes).toEqual([]);
  });

  it('still acks when only the fault event is refused: the dead letter is safe in its queue', async () => {
    const { step, instrumentation, deliver } = setup();
    const channel = new PickyChannel((_exchange, routingKey) => routingKey.startsWith('fault.'));
    const delivery = deliver(channel);

    await step.handle(delivery, failWith(new PermanentError('customer was deleted')));

    expect(channel.published.map((p) => p.routingKey)).toEqual([`${QUEUE}.dlq`]);
    expect(fateOf(channel, delivery)).toEqual(['acked']);
    expect(instrumentation.outcomes).toEqual([{ queue: QUEUE, type: 'order.placed', outcome: 'dead-letter', reason: 'permanent' }]);
  });
});

describe('OutcomeStep never throws or rejects', () => {
  const brokenClassifier = (): undefined => {
    throw new Error('classifier bug');
  };
  const cases: Array<[string, () => void | Promise<void>, Partial<HandlerDefinition>, boolean]> = [
    [
      'a step throws, the retry copy is refused',
      () => {
        throw new TransientError('t');
      },
      {},
      true,
    ],
    ['a step rejects, the dead letter is refused', failWith(new PermanentError('p')), {}, true],
    ['a step rejects with a string', failWith('thrown text'), {}, false],
    ['a step rejects with undefined', failWith(undefined), {}, false],
    ['a classifier throws, the dead letter is refused', failWith(new Error('e')), { classifiers: [brokenClassifier] }, true],
  ];

  it.each(cases)('when %s', async (_case, next, handlerOverrides, failPublishes) => {
    const { step, deliver } = setup({}, handlerOverrides);
    const channel = new RecordingChannel();
    channel.failPublishes = failPublishes;
    const delivery = deliver(channel);

    let result: void | Promise<void> = undefined;
    expect(() => (result = step.handle(delivery, next))).not.toThrow();
    await expect(result).resolves.toBeUndefined();
    // Settled one way or the other.
    expect(fateOf(channel, delivery)).toHaveLength(1);
  });
});

describe('OutcomeStep and the fault of a hostile body', () => {
  /** The fault published on `channel`, parsed and validated as a consumer of faults would (so it must be valid). */
  async function faultOn(channel: RecordingChannel): Promise<Fault> {
    const published = channel.published.filter((p) => p.routingKey === 'fault.order.placed');
    expect(published).toHaveLength(1);
    return validateMessage(faultOf(OrderPlaced), JSON.parse(published[0].content.toString('utf8')), { unknownFields: 'reject' });
  }

  it('dead-letters a body nested 100000 levels deep once and still publishes its fault, by reference, acked once', async () => {
    const { step, deliver } = setup();
    const channel = new RecordingChannel();
    const body = `{"orderId":"o-9","nested":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const delivery = deliver(channel, { body });

    await step.handle(delivery, failWith(new MessageDecodeError('Body is nested deeper than the limit')));

    expect(channel.published.map((p) => p.routingKey)).toEqual([`${QUEUE}.dlq`, 'fault.order.placed']);
    const fault = await faultOn(channel);
    expect(fault.message).toBeUndefined();
    expect(fault.messageExcerpt).toEqual({ orderId: 'o-9' });
    expect(fault.original).toEqual({
      deadLetterQueue: `${QUEUE}.dlq`,
      bytes: Buffer.byteLength(body),
      sha256: createHash('sha256').update(body).digest('hex'),
      carried: false,
    });
    expect(fateOf(channel, delivery)).toEqual(['acked']);
  });

  it('carries a body larger than faultBodyMaxBytes by reference, with its short top-level fields, so the fault stays small', async () => {
    const { step, deliver } = setup({ maxMessageBytes: 64 * 1024, faultBodyMaxBytes: 1024 });
    const channel = new RecordingChannel();
    const body = JSON.stringify({ orderId: 'o-7', customerId: 'c-1', total: 12.5, paid: false, note: 'n'.repeat(5000), lines: [1, 2] });

    await step.handle(deliver(channel, { body }), failWith(new PermanentError('refused')));

    const fault = await faultOn(channel);
    expect(fault.message).toBeUndefined();
    expect(fault.messageExcerpt).toEqual({ orderId: 'o-7', customerId: 'c-1', total: 12.5, paid: false });
    expect(fault.original?.carried).toBe(false);
    expect(channel.published[1].content.length).toBeLessThan(2048);
  });

  it('carries no body part for a body that is not JSON, only the reference', async () => {
    const { step, deliver } = setup();
    const channel = new RecordingChannel();

    await step.handle(deliver(channel, { body: '<order id="1"/>' }), failWith(new MessageDecodeError('Body is not valid JSON')));

    const fault = await faultOn(channel);
    expect(fault.message).toBeUndefined();
    expect(fault.messageExcerpt).toBeUndefined();
    expect(fault.original).toMatchObject({ bytes: 15, carried: false });
  });

  it('does not carry a body with a reserved key or an unpaired surrogate, and leaves them out of the excerpt', async () => {
    const { step, deliver } = setup();
    const channel = new RecordingChannel();
    const body = '{"orderId":"o-3","__proto__":{"admin":true},"email":"a\\ud800@x.io"}';

    await step.handle(deliver(channel, { body }), failWith(new MessageDecodeError('reserved key')));

    const fault = await faultOn(channel);
    expect(fault.message).toBeUndefined();
    expect(fault.messageExcerpt).toEqual({ orderId: 'o-3' });
  });

  it('never gives the delivery back once its dead letter is confirmed, though logging and metrics throw after it', async () => {
    const { step, instrumentation, deliver } = setup();
    const logger = (step as unknown as { logger: Logger }).logger;
    jest.spyOn(logger, 'error').mockImplementation(() => {
      throw new Error('log sink broken');
    });
    (instrumentation as unknown as { outcomes: { push(): never } }).outcomes.push = () => {
      throw new Error('metrics broken');
    };
    const channel = new RecordingChannel();
    const delivery = deliver(channel);

    await expect(step.handle(delivery, failWith(new PermanentError('refused')))).resolves.toBeUndefined();

    expect(channel.published.map((p) => p.routingKey)).toEqual([`${QUEUE}.dlq`, 'fault.order.placed']);
    expect(fateOf(channel, delivery)).toEqual(['acked']);
  });

  it('acks a retried delivery once, though the log line after its copy throws', async () => {
    const { step, deliver } = setup();
    jest.spyOn((step as unknown as { logger: Logger }).logger, 'warn').mockImplementation(() => {
      throw new Error('log sink broken');
    });
    const channel = new RecordingChannel();
    const delivery = deliver(channel);

    await step.handle(delivery, failWith(new TransientError('busy')));

    expect(channel.published.map((p) => p.exchange)).toEqual(['delay.test']);
    expect(fateOf(channel, delivery)).toEqual(['acked']);
  });
});

describe('OutcomeStep on a dependency outage', () => {
  const outage = new DependencyUnavailableError('database', 'the database connection was lost');

  it('publishes a copy through the delay route with the attempt count it came with, acks, and counts it as deferred', async () => {
    const { step, delays, instrumentation, deliver } = setup();
    const channel = new RecordingChannel();
    const delivery = deliver(channel, { headers: { 'x-attempts': 1 }, exchange: RETRY_EXCHANGE });

    await step.handle(delivery, failWith(new Error('Failed query: commit', { cause: outage })));

    expect(delays.asked).toEqual([{ queue: QUEUE, delayMs: DEFER_DELAY_MS }]);
    expect(channel.published).toHaveLength(1);
    const [copy] = channel.published;
    expect(copy.exchange).toBe('delay.test');
    expect(copy.content.equals(Buffer.from(BODY, 'utf8'))).toBe(true);
    // Attempt 2 arrived (x-attempts 1): the copy still says 1, so that the next delivery is attempt 2 again.
    expect(copy.options.headers).toMatchObject({ 'x-attempts': 1, 'x-correlation-id': 'c-42' });
    expect(fateOf(channel, delivery)).toEqual(['acked']);
    expect(instrumentation.outcomes).toEqual([{ queue: QUEUE, type: 'order.placed', outcome: 'deferred', reason: 'database' }]);
  });

  it('defers a first delivery as a first delivery, and never dead-letters, on the last attempt too', async () => {
    const { step, deliver } = setup();
    const first = new RecordingChannel();
    const last = new RecordingChannel();

    await step.handle(deliver(first), failWith(outage));
    await step.handle(deliver(last, { headers: { 'x-attempts': 2 }, exchange: RETRY_EXCHANGE }), failWith(outage));

    expect(first.published[0].options.headers).toMatchObject({ 'x-attempts': 0 });
    expect(last.published.map((p) => [p.exchange, (p.options.headers as Record<string, unknown> | undefined)?.['x-attempts']])).toEqual([
      ['delay.test', 2],
    ]);
  });

  it('gives the delivery back to its queue when the copy cannot be published', async () => {
    const { step, deliver } = setup();
    const channel = new RecordingChannel();
    channel.failPublishes = true;
    const delivery = deliver(channel);

    await step.handle(delivery, failWith(outage));

    expect(fateOf(channel, delivery)).toEqual(['requeued']);
  });
});
