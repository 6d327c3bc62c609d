// Protects how handlers join the supervisor: those discovered at the start, and those the transport adds before or
// after it, all composed and checked together (one handler per queue). Without consuming, so without a broker.
import { MessagingConfigError } from '@app/messaging-core';
import { handlerFor } from '../../../../test/support/deliveries';
import type { AmqpConnection } from '../connection/amqp-connection';
import type { Dependencies } from '../dependencies/dependencies';
import type { HandlerDefinition } from '../handlers/handler-definition';
import type { HandlerDiscovery } from '../handlers/handler-discovery';
import { resolveMessagingOptions } from '../options/messaging-options';
import type { DelayScheduler } from '../retry/delay-scheduler';
import type { Topology } from '../topology/topology';
import type { ConsumePipeline } from './consume-pipeline';
import { ConsumerSupervisor } from './consumer-supervisor';

class OrderPlaced {
  static readonly messageType = 'order.placed';
  static readonly schemaVersion = 1;
}

function setup(discovered: HandlerDefinition[], consume = false) {
  const compose = jest.fn((_handler: HandlerDefinition) => () => undefined);
  const supervisor = new ConsumerSupervisor(
    resolveMessagingOptions({ serviceName: 'orders', consume }, {}),
    { discover: () => discovered } as unknown as HandlerDiscovery,
    { compose } as unknown as ConsumePipeline,
    {} as AmqpConnection,
    {} as Topology,
    {} as DelayScheduler,
    { forHandler: () => [] } as unknown as Dependencies,
  );
  return { supervisor, composed: () => compose.mock.calls.map(([handler]) => handler.name) };
}

const handler = (name: string, queue: string) => handlerFor(OrderPlaced, { name, queue });

describe('ConsumerSupervisor.add', () => {
  it('starts handlers added before the application starts with the discovered ones', async () => {
    const { supervisor, composed } = setup([handler('Discovered.handle', 'orders.a')]);

    await supervisor.add([handler('Pattern.onEvent', 'orders.b')]);
    expect(composed()).toEqual([]);
    await supervisor.onApplicationBootstrap();

    expect(composed()).toEqual(['Discovered.handle', 'Pattern.onEvent']);
  });

  it('starts handlers added after the start at once', async () => {
    const { supervisor, composed } = setup([handler('Discovered.handle', 'orders.a')]);
    await supervisor.onApplicationBootstrap();

    await supervisor.add([handler('Pattern.onEvent', 'orders.b')]);

    expect(composed()).toEqual(['Discovered.handle', 'Pattern.onEvent']);
  });

  it('refuses a handler of a queue another handler consumes, whichever came first', async () => {
    const early = setup([handler('Discovered.handle', 'orders.a')]);
    await early.supervisor.add([handler('Pattern.onEvent', 'orders.a')]);
    await expect(early.supervisor.onApplicationBootstrap()).rejects.toThrow(MessagingConfigError);

    const late = setup([handler('Discovered.handle', 'orders.a')]);
    await late.supervisor.onApplicationBootstrap();
    await expect(late.supervisor.add([handler('Pattern.onEvent', 'orders.a')])).rejects.toThrow(
      /handlers Discovered.handle and Pattern.onEvent both consume "orders.a"/,
    );
    expect(late.composed()).toEqual(['Discovered.handle']);
  });

  it('takes no handler once it is stopping', async () => {
    const { supervisor, composed } = setup([]);
    await supervisor.onApplicationBootstrap();
    await supervisor.stop();

    await supervisor.add([handler('Pattern.onEvent', 'orders.b')]);

    expect(composed()).toEqual([]);
  });
});

describe('ConsumerSupervisor.useConsumerFactory', () => {
  it('makes every consumer with the factory it is given (the in-memory transport), none on the broker', async () => {
    const { supervisor } = setup([handler('Discovered.handle', 'orders.a')], true);
    const started: string[] = [];
    supervisor.useConsumerFactory((definition) => ({
      queue: definition.queue,
      isRunning: true,
      waitingFor: [],
      start: () => Promise.resolve(void started.push(definition.queue)),
      stop: () => Promise.resolve(),
      waitUntilReady: () => Promise.resolve(),
    }));

    await supervisor.onApplicationBootstrap();
    await supervisor.add([handler('Pattern.onEvent', 'orders.b')]);

    expect(started).toEqual(['orders.a', 'orders.b']);
    expect(supervisor.queues).toEqual(['orders.a', 'orders.b']);
  });

  it('refuses a factory once the application has started', async () => {
    const { supervisor } = setup([]);
    await supervisor.onApplicationBootstrap();

    expect(() => supervisor.useConsumerFactory(() => ({}) as never)).toThrow(/before the application starts/);
  });
});
