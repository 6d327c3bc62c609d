// Where to publish a message so that it reaches `queue` after a delay: the plugin-free ladder or the plugin exchange.
import { MessageHeaders, type TopologyNames, delayRoutingKey } from '../topology/topology-names';

export interface DelayRoute {
  exchange: string;
  routingKey: string;
  headers: Record<string, unknown>;
}

export type DelayMechanism = 'ladder' | 'plugin';

export function delayRoute(mechanism: DelayMechanism, names: TopologyNames, queue: string, delayMs: number): DelayRoute {
  if (mechanism === 'plugin') {
    return {
      exchange: names.delayedMessageExchange,
      routingKey: queue,
      headers: { [MessageHeaders.delay]: Math.max(0, Math.round(delayMs)) },
    };
  }
  return { exchange: names.delayEntryExchange, routingKey: delayRoutingKey(delayMs / 1000, queue), headers: {} };
}
