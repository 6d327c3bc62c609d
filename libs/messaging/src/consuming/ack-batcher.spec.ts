import type { ConsumeMessage } from 'amqplib';
import { AckBatcher } from './ack-batcher';

function delivery(tag: number): ConsumeMessage {
  return { fields: { deliveryTag: tag }, properties: {}, content: Buffer.alloc(0) } as unknown as ConsumeMessage;
}

function setup() {
  const sent: string[] = [];
  let pending: (() => void) | undefined;
  const batcher = new AckBatcher(
    { ack: (message, allUpTo) => sent.push(`${allUpTo ? 'up to ' : ''}${message.fields.deliveryTag}`) },
    (flush) => (pending = flush),
  );
  const turn = () => {
    const flush = pending;
    pending = undefined;
    flush?.();
  };
  const deliveries = Array.from({ length: 6 }, (_, i) => delivery(i + 1));
  for (const raw of deliveries) batcher.received(raw);
  return { sent, batcher, turn, deliveries };
}

describe('AckBatcher', () => {
  it('acks the deliveries settled in one turn with a single multiple ack', () => {
    const { sent, batcher, turn, deliveries } = setup();
    for (const raw of deliveries.slice(0, 4)) batcher.ack(raw);
    expect(sent).toEqual([]);
    turn();
    expect(sent).toEqual(['up to 4']);
    expect(batcher.outstanding).toBe(2);
  });

  it('acks a delivery settled behind an open one alone, at once, and never twice', () => {
    const { sent, batcher, turn, deliveries } = setup();
    batcher.ack(deliveries[2]);
    batcher.ack(deliveries[3]);
    turn();
    expect(sent).toEqual(['3', '4']);
    batcher.ack(deliveries[1]);
    batcher.ack(deliveries[0]);
    turn();
    // 1 and 2 go together; 3 and 4 are already acked and are not sent again.
    expect(sent).toEqual(['3', '4', 'up to 2']);
    batcher.ack(deliveries[4]);
    turn();
    expect(sent).toEqual(['3', '4', 'up to 2', '5']);
    expect(batcher.outstanding).toBe(1);
  });

  it('lets a released (nacked) delivery not hold back the acks after it, and never acks it', () => {
    const { sent, batcher, turn, deliveries } = setup();
    batcher.release(deliveries[0]);
    batcher.ack(deliveries[1]);
    batcher.ack(deliveries[2]);
    batcher.ack(deliveries[0]);
    turn();
    expect(sent).toEqual(['up to 3']);
    expect(batcher.outstanding).toBe(3);
  });

  it('sends nothing once the channel is discarded', () => {
    const { sent, batcher, turn, deliveries } = setup();
    batcher.ack(deliveries[0]);
    batcher.discard();
    turn();
    expect(sent).toEqual([]);
  });

  it('acks a delivery it never saw directly', () => {
    const { sent, batcher } = setup();
    batcher.ack(delivery(99));
    expect(sent).toEqual(['99']);
  });
});
