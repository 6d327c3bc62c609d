// Protects the reply step: a request with a reply-to is answered (result or error) through the default exchange before
// the step returns, and never fails the delivery for the handler's sake; a request without one is left to the outcome.
import { DependencyUnavailableError, MessageDecodeError, MessageValidationError, PermanentError } from '@app/messaging-core';
import { deliveryOf, handlerFor, rawDelivery, RecordingChannel } from '../../../../../test/support/deliveries';
import type { HandlerDefinition } from '../../handlers/handler-definition';
import { resolveMessagingOptions } from '../../options/messaging-options';
import { TopologyNames } from '../../topology/topology-names';
import type { Delivery } from '../delivery';
import { DEADLINE_GRACE_MS, ReplyStep } from './reply.step';

class QuoteRequested {
  static readonly messageType = 'quote.requested';
  static readonly schemaVersion = 1;
}

const REPLY_TO = 'amq.rabbitmq.reply-to.g1h2AA5yZXBseUAxOTcwNTI2MgAAAAAAAAAA.AbCdEf==';

function setup(kind: HandlerDefinition['kind'] = 'request') {
  const step = new ReplyStep(resolveMessagingOptions({ serviceName: 'quotes' }, {}), new TopologyNames('domain.events', 'quotes'));
  const handler = handlerFor(QuoteRequested, { kind, name: 'QuotesController.quote' });
  const channel = new RecordingChannel();
  const deliver = (replyTo: string | undefined = REPLY_TO, headers: Record<string, unknown> = {}): Delivery =>
    deliveryOf(
      handler,
      rawDelivery(QuoteRequested.messageType, {
        properties: { messageId: 'req-1', replyTo },
        headers: { 'x-correlation-id': 'corr-1', ...headers },
      }),
      channel,
    );
  return { step, handler, channel, deliver };
}

const replyOf = (channel: RecordingChannel) => JSON.parse(channel.published[0].content.toString()) as unknown;

describe('ReplyStep', () => {
  describe('a request whose requester stopped waiting (x-request-deadline)', () => {
    const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

    it.each([
      ['long past', at(-60_000)],
      ['past by more than the clocks may differ', at(-(DEADLINE_GRACE_MS + 500))],
      ['as a Buffer (how amqplib may hand over a long string)', Buffer.from(at(-60_000))],
    ])('is acked without running the handler and without a reply: %s', async (_case, deadline) => {
      const { step, channel, deliver } = setup();
      const handler = jest.fn();

      await step.handle(deliver(REPLY_TO, { 'x-request-deadline': deadline }), handler);

      expect(handler).not.toHaveBeenCalled();
      expect(channel.published).toEqual([]);
    });

    it.each([
      ['still ahead', at(5000)],
      ['just past, within what the clocks may differ', at(-(DEADLINE_GRACE_MS - 500))],
      ['unreadable', 'soon'],
      ['absent', undefined],
    ])('is handled and answered: %s', async (_case, deadline) => {
      const { step, channel, deliver } = setup();
      const delivery = deliver(REPLY_TO, deadline === undefined ? {} : { 'x-request-deadline': deadline });

      await step.handle(delivery, () => {
        delivery.result = { price: 3 };
      });

      expect(replyOf(channel)).toEqual({ response: { price: 3 }, isDisposed: true });
    });
  });

  it('is part of the pipeline of @MessagePattern handlers only', () => {
    const { step } = setup();
    expect(step.forHandler(handlerFor(QuoteRequested, { kind: 'request' }))).toBe(step);
    expect(step.forHandler(handlerFor(QuoteRequested, { kind: 'event' }))).toBeNull();
    expect(step.forHandler(handlerFor(QuoteRequested, { kind: 'message' }))).toBeNull();
    expect(step.forHandler(handlerFor(QuoteRequested))).toBeNull();
  });

  it("publishes the handler's result to the reply-to through the default exchange, with the request's id, before it returns", async () => {
    const { step, channel, deliver } = setup();
    const delivery = deliver();

    await step.handle(delivery, () => {
      delivery.result = { price: 12 };
    });

    expect(channel.published).toHaveLength(1);
    const [reply] = channel.published;
    expect(reply.exchange).toBe('');
    expect(reply.routingKey).toBe(REPLY_TO);
    expect(reply.options).toMatchObject({
      correlationId: 'req-1',
      contentType: 'application/json',
      appId: 'quotes',
      persistent: false,
      headers: { 'x-correlation-id': 'corr-1', 'x-causation-id': 'req-1' },
    });
    expect(replyOf(channel)).toEqual({ response: { price: 12 }, isDisposed: true });
  });

  it('answers a failure of any later step with an error reply (message, kind, class; no stack), and does not fail the delivery', async () => {
    for (const [error, errorType, name] of [
      [
        new MessageValidationError('quote.requested', [{ path: 'weight', reasons: ['weight must be positive'] }]),
        'validation',
        'MessageValidationError',
      ],
      [new PermanentError('no such parcel'), 'permanent', 'PermanentError'],
      [new Error('pricing table locked'), 'transient', 'Error'],
      [new DependencyUnavailableError('database', 'database is unavailable'), 'transient', 'DependencyUnavailableError'],
    ] as const) {
      const { step, channel, deliver } = setup();

      await expect(
        step.handle(deliver(), () => {
          throw error;
        }),
      ).resolves.toBeUndefined();

      const reply = replyOf(channel) as { err: Record<string, unknown> };
      expect(reply).toEqual({ err: { status: 'error', message: error.message, errorType, name }, isDisposed: true });
      expect(JSON.stringify(reply)).not.toContain('at ');
    }
  });

  it('answers a duplicate (the idempotency step skipped the handler) with an error, not with an empty result', async () => {
    const { step, channel, deliver } = setup();
    const delivery = deliver();

    await step.handle(delivery, () => {
      delivery.duplicate = true;
    });

    expect(replyOf(channel)).toMatchObject({ err: { message: 'Request req-1 was handled already' } });
  });

  it('leaves a request without a reply-to (nobody waits) to the outcome step: its errors go on', async () => {
    const { step, channel, deliver } = setup();
    const failure = new Error('boom');

    expect(() =>
      step.handle(deliver(''), () => {
        throw failure;
      }),
    ).toThrow(failure);
    expect(channel.published).toHaveLength(0);
  });

  it('refuses, as poison, a reply-to that is not a direct reply-to address (the default exchange would route it to any queue)', () => {
    const { step, channel, deliver } = setup();
    const next = jest.fn();

    expect(() => step.handle(deliver('orders.order.created'), next)).toThrow(MessageDecodeError);
    expect(() => step.handle(deliver('amq.rabbitmq.reply-to'), next)).toThrow(MessageDecodeError);
    expect(next).not.toHaveBeenCalled();
    expect(channel.published).toHaveLength(0);
  });

  it('defers the request when its reply cannot be published (an outage: back in its queue, no attempt counted)', async () => {
    const { step, channel, deliver } = setup();
    channel.failPublishes = true;

    const answered = step.handle(deliver(), () => undefined);

    await expect(answered).rejects.toBeInstanceOf(DependencyUnavailableError);
    await expect(answered).rejects.toMatchObject({ dependency: 'broker', message: 'The reply could not be published: channel closed' });
  });

  it('answers a result JSON cannot hold with an error', async () => {
    const { step, channel, deliver } = setup();
    const delivery = deliver();

    await step.handle(delivery, () => {
      delivery.result = { amount: 10n };
    });

    expect(replyOf(channel)).toMatchObject({ err: { name: 'TypeError', message: expect.stringMatching(/could not be written as JSON/) } });
  });
});
