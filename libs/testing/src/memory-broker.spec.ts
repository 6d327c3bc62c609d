import { TopologyNames } from '@app/messaging';
import { MemoryBroker, NotFoundError, readDelayRoutingKey, type MemoryQueue } from './memory-broker';
import { VirtualClock } from './virtual-clock';

describe('MemoryBroker', () => {
  const names = new TopologyNames('events', 'svc');

  function brokerWithQueue(): { broker: MemoryBroker; clock: VirtualClock; received: Array<{ exchange: string; redelivered: boolean }> } {
    const clock = new VirtualClock();
    const broker = new MemoryBroker(clock);
    broker.configure(names);
    const received: Array<{ exchange: string; redelivered: boolean }> = [];
    const queue: MemoryQueue = {
      queue: 'svc.job',
      bindingKey: 'job',
      enqueue: (raw) => received.push({ exchange: raw.fields.exchange, redelivered: raw.fields.redelivered }),
    };
    broker.bind(queue);
    return { broker, clock, received };
  }

  it('reads the delay and the destination queue from a delay-ladder routing key', () => {
    expect(readDelayRoutingKey(`${'0.'.repeat(15)}1.0.1.orders.x.y`)).toEqual({ seconds: 5, queue: 'orders.x.y' });
  });

  it('routes an event to the queues bound by its type, after the publish has returned', async () => {
    const { broker, received } = brokerWithQueue();
    broker.publish('events', 'job', Buffer.from('{}'), { type: 'job' });
    expect(received).toEqual([]);
    await broker.settled();
    expect(received).toEqual([{ exchange: 'events', redelivered: false }]);
    expect(broker.published).toHaveLength(1);
  });

  it('holds a ladder copy until the virtual clock reaches its delay, then delivers it through the delivery exchange', async () => {
    const { broker, clock, received } = brokerWithQueue();
    broker.publish(names.delayEntryExchange, `${'0.'.repeat(16)}1.0.svc.job`, Buffer.from('{}'), {});
    clock.moveTo(1999);
    await broker.settled();
    expect(received).toEqual([]);
    clock.moveTo(2000);
    await broker.settled();
    expect(received).toEqual([{ exchange: names.delayDeliveryExchange, redelivered: false }]);
    expect(broker.delayed[0]).toMatchObject({ queue: 'svc.job', delayMs: 2000, dueAt: 2000 });
  });

  it('refuses a publish to an exchange it does not have, as RabbitMQ does', () => {
    const { broker } = brokerWithQueue();
    expect(() => broker.publish('nowhere', 'job', Buffer.from('{}'), {})).toThrow(NotFoundError);
  });
});
