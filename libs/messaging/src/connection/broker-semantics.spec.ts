// The library's version-dependent decisions, over both counter semantics (RabbitMQ before 4.3, and 4.3+): which
// broker this is, when the delay plugin is chosen, the crash-loop guard, and the counters a copy leaves behind.
import type { Channel } from 'amqplib';
import { rawDelivery } from '../../../../test/support/deliveries';
import { assertWithinRedeliveryLimit } from '../consuming/envelope';
import { MessageContext } from '../consuming/message-context';
import { headerTrustFor } from '../consuming/owned-headers';
import { deadLetterHeaders, retryHeaders } from '../dead-letter/dead-letter-headers';
import { replayHeaders } from '../dead-letter/dead-letter-admin';
import { resolveMessagingOptions, type DelayMode } from '../options/messaging-options';
import { DelayScheduler } from '../retry/delay-scheduler';
import { Topology } from '../topology/topology';
import { TopologyNames } from '../topology/topology-names';
import type { AmqpConnection } from './amqp-connection';
import { brokerSemantics, GIVE_BACK, parseBrokerVersion } from './broker-semantics';

/** Server properties as each broker announces itself (product and version; the rest left out). */
const BROKERS = {
  '3.10': { product: 'RabbitMQ', version: '3.10.8', platform: 'Erlang/OTP 25.2.3' },
  '3.13': { product: 'RabbitMQ', version: '3.13.7', platform: 'Erlang/OTP 26.2.5' },
  '4.0': { product: 'RabbitMQ', version: '4.0.9', platform: 'Erlang/OTP 27.2' },
  '4.2': { product: 'RabbitMQ', version: '4.2.4', platform: 'Erlang/OTP 27.3' },
  '4.3': { product: 'RabbitMQ', version: '4.3.4', platform: 'Erlang/OTP 28.0' },
  '5.0-rc': { product: 'RabbitMQ', version: '5.0.0-rc.1', platform: 'Erlang/OTP 28.1' },
} as const;

type Broker = keyof typeof BROKERS;
const BEFORE_4_3: Broker[] = ['3.10', '3.13', '4.0', '4.2'];
const FROM_4_3: Broker[] = ['4.3', '5.0-rc'];

const semanticsOf = (broker: Broker) => brokerSemantics(parseBrokerVersion(BROKERS[broker]));

describe('parseBrokerVersion', () => {
  it('reads major, minor and patch from the announced version, also a pre-release and one sent as bytes', () => {
    expect(parseBrokerVersion(BROKERS['3.10'])).toEqual({ major: 3, minor: 10, patch: 8, text: '3.10.8' });
    expect(parseBrokerVersion(BROKERS['5.0-rc'])).toMatchObject({ major: 5, minor: 0, patch: 0 });
    expect(parseBrokerVersion({ version: Buffer.from('4.3.1') })).toMatchObject({ major: 4, minor: 3, patch: 1 });
  });

  it('knows no version when there is none or it is not one', () => {
    expect(parseBrokerVersion(undefined)).toBeUndefined();
    expect(parseBrokerVersion({ product: 'RabbitMQ' })).toBeUndefined();
    expect(parseBrokerVersion({ version: 'unknown' })).toBeUndefined();
  });
});

describe('brokerSemantics', () => {
  it.each(BEFORE_4_3)('%s: every return counts as a delivery, no acquired count, the plugin may run', (broker) => {
    expect(semanticsOf(broker)).toMatchObject({
      nackCountsAsFailedDelivery: true,
      deliveryCountMeans: 'every-return',
      hasAcquiredCount: false,
      classicQueuesCountDeliveries: false,
      delayPluginCanRun: true,
    });
  });

  it.each(FROM_4_3)('%s: only failed deliveries count, x-acquired-count counts hand-outs, the plugin cannot run', (broker) => {
    expect(semanticsOf(broker)).toMatchObject({
      nackCountsAsFailedDelivery: false,
      deliveryCountMeans: 'failed-deliveries',
      hasAcquiredCount: true,
      classicQueuesCountDeliveries: true,
      delayPluginCanRun: false,
    });
  });

  it('gives quorum queues a default delivery limit of 20 from 4.0 on, and none before', () => {
    expect(semanticsOf('3.13').defaultQuorumDeliveryLimit).toBeUndefined();
    expect(semanticsOf('4.0').defaultQuorumDeliveryLimit).toBe(20);
    expect(semanticsOf('4.3').defaultQuorumDeliveryLimit).toBe(20);
  });

  it('takes an unknown broker as the older semantics, under which the plugin is still probed for', () => {
    expect(brokerSemantics(undefined)).toMatchObject({ nackCountsAsFailedDelivery: true, delayPluginCanRun: true });
  });
});

describe('giving a delivery back (the message not at fault)', () => {
  it('is one basic.nack with requeue on every version: from 4.3 it costs the message nothing toward its limit', () => {
    expect(GIVE_BACK).toEqual({ method: 'nack', multiple: false, requeue: true });
    for (const broker of FROM_4_3) expect(semanticsOf(broker).nackCountsAsFailedDelivery).toBe(false);
  });
});

describe('the crash-loop guard', () => {
  const contextOf = (headers: Record<string, unknown>, redelivered: boolean) =>
    new MessageContext(rawDelivery('order.created', { headers, redelivered }), 'shop.order.created', 'H.handle');

  it('counts failed deliveries (x-delivery-count), not hand-outs: a 4.3 message given back 50 times passes', () => {
    const givenBackOften = contextOf({ 'x-acquired-count': 50 }, true);

    expect(givenBackOften.redeliveries).toBe(1);
    expect(() => assertWithinRedeliveryLimit(givenBackOften, 10)).not.toThrow();
  });

  it('dead-letters a message whose consumer died on it more often than allowed, on both semantics', () => {
    // Before 4.3: x-delivery-count alone; 4.3+: the same header (a closed channel counts), next to x-acquired-count.
    for (const headers of [{ 'x-delivery-count': 11 }, { 'x-delivery-count': 11, 'x-acquired-count': 14 }]) {
      expect(() => assertWithinRedeliveryLimit(contextOf(headers, true), 10)).toThrow(/Redelivered 11 times/);
    }
  });
});

describe('x-delivery-count on a classic queue', () => {
  const redeliveriesOn = (broker: Broker) => {
    const trust = headerTrustFor('classic', undefined, semanticsOf(broker));
    const raw = rawDelivery('order.created', { headers: { 'x-delivery-count': 5 }, redelivered: true });
    return new MessageContext(raw, 'shop.order.created', 'H.handle', trust).redeliveries;
  };

  it.each(FROM_4_3)("%s: is the broker's, and believed", (broker) => {
    expect(redeliveriesOn(broker)).toBe(5);
  });

  it.each(BEFORE_4_3)("%s: can only be a publisher's: a redelivery counts as one", (broker) => {
    expect(redeliveriesOn(broker)).toBe(1);
  });
});

describe('the counters a copy leaves behind', () => {
  const counters = { 'x-delivery-count': 3, 'x-acquired-count': 7, 'x-death': [{ count: 1 }], 'x-first-death-queue': 'q', keep: 'me' };
  const raw = rawDelivery('order.created', { headers: counters });
  const failure = { reason: 'permanent', error: new Error('no'), attempt: 1, queue: 'shop.order.created', handler: 'H.handle' };

  it.each([
    ['a retry copy', () => retryHeaders(raw, 1)],
    ['a dead letter', () => deadLetterHeaders(raw, failure)],
    ['a replayed dead letter', () => replayHeaders(counters)],
  ])('%s has none of either version, and keeps the rest', (_label, headersOf) => {
    const headers = headersOf();

    for (const name of ['x-delivery-count', 'x-acquired-count', 'x-death', 'x-first-death-queue']) expect(headers).not.toHaveProperty(name);
    expect(headers).toHaveProperty('keep', 'me');
  });
});

describe('the delay mechanism for delay: "auto" and "plugin"', () => {
  function schedulerOn(broker: Broker, mode: DelayMode, pluginInstalled: boolean) {
    const probes: string[] = [];
    const connection = {
      semantics: semanticsOf(broker),
      withTemporaryConnection: async (fn: (channel: Channel) => Promise<unknown>) => {
        probes.push(broker);
        const channel = {
          assertExchange: () => (pluginInstalled ? Promise.resolve({}) : Promise.reject(new Error('invalid exchange type'))),
        } as unknown as Channel;
        return fn(channel);
      },
    } as unknown as AmqpConnection;
    const options = resolveMessagingOptions({ serviceName: 'shop', delay: mode }, {});
    return { scheduler: new DelayScheduler(options, connection, new Topology(new TopologyNames('domain.events', 'shop'))), probes };
  }

  it.each(BEFORE_4_3)('%s: auto probes, and takes the plugin where it is installed, the ladder where not', async (broker) => {
    const installed = schedulerOn(broker, 'auto', true);
    const absent = schedulerOn(broker, 'auto', false);

    await expect(installed.scheduler.mechanism()).resolves.toBe('plugin');
    await expect(absent.scheduler.mechanism()).resolves.toBe('ladder');
    expect(installed.probes).toEqual([broker]);
  });

  it.each(FROM_4_3)('%s: auto takes the ladder without probing, even if a plugin answered', async (broker) => {
    const { scheduler, probes } = schedulerOn(broker, 'auto', true);

    await expect(scheduler.mechanism()).resolves.toBe('ladder');
    expect(probes).toEqual([]);
  });

  it.each(FROM_4_3)('%s: plugin is refused at start, naming the version', async (broker) => {
    const { scheduler } = schedulerOn(broker, 'plugin', true);

    await expect(scheduler.mechanism()).rejects.toThrow(`does not run on RabbitMQ ${BROKERS[broker].version}`);
  });
});
