// Protects the requester's side of request/reply without a broker: each request ends exactly once (reply, timeout,
// channel lost, caller gone, client closed), and an ended request leaves no entry and no timer behind.
import { EventEmitter } from 'node:events';
import type { ConsumeMessage, Options } from 'amqplib';
import { PublishError } from '@app/messaging-core';
import type { AmqpConnection } from '../connection/amqp-connection';
import type { OutgoingMessage } from '../publishing/outgoing-message';
import { TopologyNames } from '../topology/topology-names';
import { ReplyChannel, type PendingRequest, type RequestOutcome } from './reply-channel';
import { RequestFailedError, RequestTimeoutError } from './request-errors';

/** An amqplib confirm channel as far as the reply channel uses it. */
class FakeChannel extends EventEmitter {
  readonly published: Array<{ exchange: string; routingKey: string; options: Options.Publish; confirm: (error?: unknown) => void }> = [];
  consumed?: { queue: string; onMessage: (message: ConsumeMessage | null) => void; options: Options.Consume };

  publish(exchange: string, routingKey: string, _content: Buffer, options: Options.Publish, confirm: (error?: unknown) => void): boolean {
    this.published.push({ exchange, routingKey, options, confirm });
    return true;
  }

  consume(queue: string, onMessage: (message: ConsumeMessage | null) => void, options: Options.Consume): Promise<{ consumerTag: string }> {
    this.consumed = { queue, onMessage, options };
    return Promise.resolve({ consumerTag: 'replies' });
  }

  reply(correlationId: string, body: object): void {
    const content = Buffer.from(JSON.stringify(body));
    this.consumed?.onMessage({ content, fields: {}, properties: { correlationId, headers: {} } } as unknown as ConsumeMessage);
  }
}

/** amqp-connection-manager's channel wrapper: runs the setup on each (re)connect. */
class FakeWrapper extends EventEmitter {
  private markConnected!: () => void;
  private readonly connected = new Promise<void>((resolve) => (this.markConnected = resolve));
  constructor(readonly setup: (channel: FakeChannel) => Promise<void>) {
    super();
  }
  async connect(channel: FakeChannel): Promise<void> {
    await this.setup(channel);
    this.markConnected();
  }
  waitForConnect(): Promise<void> {
    return this.connected;
  }
  close = jest.fn(() => Promise.resolve());
}

function setup() {
  let wrapper: FakeWrapper | undefined;
  const connection = {
    createChannel: jest.fn((options: { setup: (channel: FakeChannel) => Promise<void> }) => {
      wrapper = new FakeWrapper(options.setup);
      return wrapper;
    }),
  } as unknown as AmqpConnection;
  const replies = new ReplyChannel(connection, new TopologyNames('domain.events', 'asker'), 'ANSWERS');
  const connect = async (): Promise<FakeChannel> => {
    const channel = new FakeChannel();
    await wrapper!.connect(channel);
    return channel;
  };
  return { replies, connect, connection };
}

let next = 0;
function outgoing(): OutgoingMessage {
  next++;
  return {
    exchange: 'domain.events',
    routingKey: 'quote.requested',
    content: Buffer.from('{}'),
    properties: { messageId: `req-${next}`, type: 'quote.requested', headers: {} },
  };
}

function request(timeoutMs = 1000): PendingRequest & { outcomes: RequestOutcome[] } {
  const outcomes: RequestOutcome[] = [];
  return { timeoutMs, cancelled: false, outcomes, settle: (outcome) => outcomes.push(outcome) };
}

async function ready(): Promise<ReturnType<typeof setup> & { channel: FakeChannel }> {
  const parts = setup();
  const waiting = parts.replies.ready(1000);
  const channel = await parts.connect();
  await waiting;
  return { ...parts, channel };
}

describe('ReplyChannel', () => {
  it('consumes direct reply-to (no-ack) and sends each request on that same channel, replying to it', async () => {
    const { replies, channel } = await ready();
    const message = outgoing();

    const sent = replies.send(message, request());
    channel.published[0].confirm();
    await sent;

    expect(channel.consumed).toMatchObject({ queue: 'amq.rabbitmq.reply-to', options: { noAck: true } });
    expect(channel.published[0]).toMatchObject({ exchange: 'domain.events', routingKey: 'quote.requested' });
    expect(channel.published[0].options).toMatchObject({ messageId: message.properties.messageId, replyTo: 'amq.rabbitmq.reply-to' });
  });

  it('hands a reply to its request, once, by the request id; a reply nobody waits for is ignored', async () => {
    const { replies, channel } = await ready();
    const message = outgoing();
    const waiting = request();
    void replies.send(message, waiting);

    channel.reply('someone-else', { response: 1, isDisposed: true });
    channel.reply(message.properties.messageId, { response: { price: 3 }, isDisposed: true });
    channel.reply(message.properties.messageId, { response: { price: 4 }, isDisposed: true });

    expect(waiting.outcomes).toEqual([{ reply: { response: { price: 3 }, isDisposed: true } }]);
    expect(replies.inFlight).toBe(0);
  });

  it('ends a request without a reply in time with RequestTimeoutError, and keeps nothing of it', async () => {
    const { replies } = await ready();
    const waiting = request(20);
    void replies.send(outgoing(), waiting);
    expect(replies.inFlight).toBe(1);

    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(waiting.outcomes).toHaveLength(1);
    expect((waiting.outcomes[0] as { error: Error }).error).toBeInstanceOf(RequestTimeoutError);
    expect((waiting.outcomes[0] as { error: Error }).error.message).toBe('No reply to quote.requested within 20 ms');
    expect(replies.inFlight).toBe(0);
  });

  it('fails the requests sent on a channel at once when it closes, fails new ones at once, and sends again once a channel is back', async () => {
    const { replies, channel, connect } = await ready();
    const first = request();
    const second = request();
    void replies.send(outgoing(), first);
    void replies.send(outgoing(), second);

    channel.emit('close');

    for (const waiting of [first, second]) {
      expect(waiting.outcomes).toHaveLength(1);
      expect((waiting.outcomes[0] as { error: Error }).error).toBeInstanceOf(RequestFailedError);
    }
    expect(replies.inFlight).toBe(0);
    await expect(replies.send(outgoing(), request())).rejects.toThrow(/Not connected to the broker: quote.requested was not sent/);
    await expect(replies.ready(10)).resolves.toBeUndefined(); // no waiting after the first connection

    const again = await connect();
    const third = request();
    void replies.send(outgoing(), third);
    expect(again.published).toHaveLength(1);
  });

  it('does not send a request whose caller has gone; forget() ends one without telling it', async () => {
    const { replies, channel } = await ready();
    await replies.send(outgoing(), { ...request(), cancelled: true });
    expect(channel.published).toHaveLength(0);

    const message = outgoing();
    const waiting = request();
    void replies.send(message, waiting);
    replies.forget(message.properties.messageId);
    channel.reply(message.properties.messageId, { response: 1, isDisposed: true });

    expect(waiting.outcomes).toEqual([]);
    expect(replies.inFlight).toBe(0);
  });

  it('rejects with PublishError a request the broker does not confirm, and keeps nothing of it', async () => {
    const { replies, channel } = await ready();
    const sent = replies.send(outgoing(), request());

    channel.published[0].confirm(new Error('nack'));

    await expect(sent).rejects.toBeInstanceOf(PublishError);
    expect(replies.inFlight).toBe(0);
  });

  it('fails the requests still waiting when closed, and refuses more', async () => {
    const { replies } = await ready();
    const waiting = request();
    void replies.send(outgoing(), waiting);

    await replies.close();

    expect((waiting.outcomes[0] as { error: Error }).error.message).toBe('The client ANSWERS was closed before the reply came');
    await expect(replies.ready(10)).rejects.toBeInstanceOf(RequestFailedError);
  });

  it('waits for its first connection no longer than asked', async () => {
    const { replies } = setup();
    await expect(replies.ready(20)).rejects.toThrow('No broker connection within 20 ms');
  });
});
