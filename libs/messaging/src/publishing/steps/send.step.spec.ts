// Protects the last publish step: a publish on the confirm channel with a timeout, PublishError when unconfirmed, counted;
// a publish not confirmed (nacked, or its confirm lost with the connection) is sent again within the same bound; one
// the broker refused outright is not.
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { Options } from 'amqplib';
import { PublishError } from '@app/messaging-core';
import type { AmqpConnection } from '../../connection/amqp-connection';
import type { MessagingInstrumentation, PublishInstrumentation } from '../../instrumentation/messaging-instrumentation';
import { resolveMessagingOptions } from '../../options/messaging-options';
import { Topology } from '../../topology/topology';
import { TopologyNames } from '../../topology/topology-names';
import { envelopeMessage } from '../outgoing-message';
import { Publication } from '../publication';
import { resendPauseMs, SendStep } from './send.step';

class OrderPlaced {
  static readonly messageType = 'order.placed';
  static readonly schemaVersion = 1;
}

class RecordingInstrumentation implements MessagingInstrumentation {
  readonly counted: string[] = [];

  forConsumer() {
    return { consumed: () => undefined, outcome: () => undefined };
  }

  forPublish(exchange: string, type: string): PublishInstrumentation {
    return {
      confirmed: () => this.counted.push(`confirmed ${exchange} ${type}`),
      failed: () => this.counted.push(`failed ${exchange} ${type}`),
    };
  }

  setSampler(): void {}
}

interface Sent {
  exchange: string;
  routingKey: string;
  content: Buffer;
  options: Options.Publish & { timeout?: number };
}

function setup(publishTimeoutMs = 10_000) {
  const sent: Sent[] = [];
  const channel = {
    publish: jest.fn(async (exchange: string, routingKey: string, content: Buffer, options: Options.Publish & { timeout?: number }) => {
      sent.push({ exchange, routingKey, content, options });
      return true;
    }),
    close: jest.fn(async () => undefined),
  };
  const createChannel = jest.fn(
    (_options: { name?: string; setup?: (channel: unknown) => Promise<void> }) => channel as unknown as ChannelWrapper,
  );
  const instrumentation = new RecordingInstrumentation();
  const topology = new Topology(new TopologyNames('domain.events', 'orders'));
  // The connection's count of losses, as AmqpConnection keeps it: a test bumps it to say "the connection went away".
  const connection = {
    createChannel,
    lossCount: 0,
    lostSince(mark: number) {
      return this.lossCount > mark;
    },
    refusalCount: 0,
    refusedSince(mark: number) {
      return this.refusalCount > mark;
    },
  };
  const step = new SendStep(
    resolveMessagingOptions({ serviceName: 'orders', publishTimeoutMs }, {}),
    connection as unknown as AmqpConnection,
    topology,
    instrumentation,
  );
  return { step, channel, createChannel, sent, instrumentation, connection };
}

/** A publication ready to send (an outbox row's, or one past the trace step). */
function ready(timeoutMs?: number): Publication {
  const outgoing = envelopeMessage(OrderPlaced, { orderId: 'o-1' }, 'domain.events', 'orders', { messageId: 'm-1' });
  outgoing.properties.correlationId = 'c-42';
  return Publication.enveloped(outgoing, timeoutMs);
}

describe('SendStep', () => {
  it("publishes the message as enveloped, with the module's publishTimeoutMs, and counts it confirmed", async () => {
    const { step, sent, instrumentation } = setup(2500);
    const publication = ready();

    await step.handle(publication);

    expect(sent).toHaveLength(1);
    expect(sent[0].exchange).toBe('domain.events');
    expect(sent[0].routingKey).toBe('order.placed');
    expect(sent[0].content).toBe(publication.wire.content);
    expect(sent[0].options).toEqual({ ...publication.wire.properties, timeout: 2500 });
    expect(instrumentation.counted).toEqual(['confirmed domain.events order.placed']);
  });

  it("waits as long as the publication's own timeout says, when it has one", async () => {
    const { step, sent } = setup(2500);

    await step.handle(ready(300));

    expect(sent[0].options.timeout).toBe(300);
  });

  it('rejects an unconfirmed publish with PublishError naming type, message id and exchange, and counts it failed', async () => {
    const { step, channel, instrumentation } = setup(50);
    const nack = new Error('message nacked');
    channel.publish.mockRejectedValue(nack);

    const error = await step.handle(ready()).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );

    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).message).toBe('Publish of order.placed m-1 to "domain.events" was not confirmed: message nacked');
    expect((error as PublishError).cause).toBe(nack);
    expect(instrumentation.counted).toEqual(['failed domain.events order.placed']);
  });

  it('sends a publish again when the connection was lost before its confirm came, and resolves on the new confirm', async () => {
    const { step, channel, sent, instrumentation, connection } = setup(5000);
    channel.publish.mockImplementationOnce(async (exchange, routingKey, content, options) => {
      sent.push({ exchange, routingKey, content, options });
      connection.lossCount++; // the node died with the confirm on its way
      throw new Error('channel closed');
    });

    await step.handle(ready());

    expect(sent).toHaveLength(2);
    expect(sent[1].content).toBe(sent[0].content);
    expect(sent[1].options.messageId).toBe('m-1');
    // The second send waits only for what is left of the bound.
    expect(sent[1].options.timeout).toBeLessThanOrEqual(5000);
    expect(instrumentation.counted).toEqual(['confirmed domain.events order.placed']);
  });

  it('sends a nacked publish again after a pause (a quorum queue changing leader), and resolves on its confirm', async () => {
    const { step, channel, sent } = setup();
    channel.publish.mockRejectedValueOnce(new Error('message nacked')).mockRejectedValueOnce(new Error('message nacked'));

    const startedAt = Date.now();
    await step.handle(ready());

    expect(channel.publish).toHaveBeenCalledTimes(3);
    expect(sent).toHaveLength(1);
    // 100 ms, then 200 ms.
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(280);
    expect(resendPauseMs(1)).toBe(100);
    expect(resendPauseMs(10)).toBe(1000);
  });

  it('does not send again a publish the broker refused outright: the connection closed for its channel, not its node', async () => {
    const { step, channel, connection } = setup();
    channel.publish.mockImplementationOnce(async () => {
      connection.refusalCount++; // 404: no such exchange
      throw new Error('channel closed');
    });

    await expect(step.handle(ready())).rejects.toThrow(/was not confirmed: channel closed/);

    expect(channel.publish).toHaveBeenCalledTimes(1);
  });

  it('does not send again once the application shuts down', async () => {
    const { step, channel } = setup();
    await step.handle(ready());
    await step.onApplicationShutdown();
    channel.publish.mockRejectedValueOnce(new Error('Channel closed'));

    await expect(step.handle(ready())).rejects.toThrow(PublishError);

    expect(channel.publish).toHaveBeenCalledTimes(2);
  });

  it('gives up with PublishError once the bound is spent, however often the connection is lost', async () => {
    const { step, channel, instrumentation, connection } = setup(200);
    channel.publish.mockImplementation(async () => {
      connection.lossCount++;
      await new Promise((resolve) => setTimeout(resolve, 30));
      throw new Error('channel closed');
    });

    const startedAt = Date.now();
    await expect(step.handle(ready())).rejects.toThrow(/was not confirmed: channel closed/);

    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(190);
    expect(Date.now() - startedAt).toBeLessThan(1000);
    expect(channel.publish.mock.calls.length).toBeGreaterThan(1);
    expect(instrumentation.counted).toEqual(['failed domain.events order.placed']);
  });

  it('opens one confirm channel, named publisher, that declares the events exchange, for all publishes', async () => {
    const { step, createChannel } = setup();
    const declaring = { assertExchange: jest.fn(async () => ({ exchange: 'domain.events' })) };

    await step.handle(ready());
    await step.handle(ready());
    await createChannel.mock.calls[0][0].setup?.(declaring);

    expect(createChannel).toHaveBeenCalledTimes(1);
    expect(createChannel.mock.calls[0][0].name).toBe('publisher');
    expect(declaring.assertExchange).toHaveBeenCalledWith('domain.events', 'topic', { durable: true });
  });

  it('closes its channel at application shutdown', async () => {
    const { step, channel } = setup();
    await step.handle(ready());

    await step.onApplicationShutdown();

    expect(channel.close).toHaveBeenCalledTimes(1);
  });
});
