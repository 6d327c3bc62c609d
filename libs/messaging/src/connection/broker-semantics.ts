// What this library relies on that changed between RabbitMQ versions, decided once from the version the broker
// announces when a connection opens (its server properties). Tested over both counter semantics; the real-broker
// tests run on 3.10.
//
// The quorum-queue counters, the heart of it:
// - before 4.3 every return of a delivery to its queue (basic.nack or basic.reject with requeue, a closed channel)
//   adds one to x-delivery-count, and x-delivery-limit is judged on it;
// - from 4.3, x-delivery-count grows only on failure-flavoured returns (basic.reject with requeue, a closed channel),
//   basic.nack returns nothing to it (not even with `multiple`), a new x-acquired-count grows on every hand-out, and
//   x-delivery-limit is judged on x-delivery-count. Classic queues carry a delivery count too.

/** The broker's version, from `serverProperties.version` ("3.10.8", "4.3.4", "4.3.0-rc.1"). */
export interface BrokerVersion {
  major: number;
  minor: number;
  patch: number;
  text: string;
}

export function parseBrokerVersion(serverProperties: Record<string, unknown> | undefined): BrokerVersion | undefined {
  const text = serverProperties?.version;
  const value = Buffer.isBuffer(text) ? text.toString('utf8') : text;
  if (typeof value !== 'string') return undefined;
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(value.trim());
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3] ?? 0), text: value.trim() };
}

function atLeast(version: BrokerVersion, major: number, minor: number): boolean {
  return version.major > major || (version.major === major && version.minor >= minor);
}

export interface BrokerSemantics {
  version: BrokerVersion | undefined;
  /** A basic.nack with requeue adds to x-delivery-count (and so toward x-delivery-limit): before 4.3. */
  nackCountsAsFailedDelivery: boolean;
  /** x-delivery-count counts failed deliveries only (4.3+), or every return (before). */
  deliveryCountMeans: 'every-return' | 'failed-deliveries';
  /** Deliveries carry x-acquired-count, the number of hand-outs (4.3+). */
  hasAcquiredCount: boolean;
  /** Classic queues carry x-delivery-count on a redelivery too (4.3+), not only quorum queues. */
  classicQueuesCountDeliveries: boolean;
  /** The x-delayed-message plugin can run on this broker (it does not on 4.3+, where it is archived). */
  delayPluginCanRun: boolean;
  /** The delivery limit a quorum queue gets when none is declared: 20 from 4.0, none before. */
  defaultQuorumDeliveryLimit: number | undefined;
}

/** The semantics of `version`; an unknown version is taken as the older one (and the plugin is then probed for). */
export function brokerSemantics(version: BrokerVersion | undefined): BrokerSemantics {
  const v43 = version !== undefined && atLeast(version, 4, 3);
  const v40 = version !== undefined && atLeast(version, 4, 0);
  return {
    version,
    nackCountsAsFailedDelivery: !v43,
    deliveryCountMeans: v43 ? 'failed-deliveries' : 'every-return',
    hasAcquiredCount: v43,
    classicQueuesCountDeliveries: v43,
    delayPluginCanRun: !v43,
    defaultQuorumDeliveryLimit: v40 ? 20 : undefined,
  };
}

/**
 * How the library gives a delivery back to its queue when the message is not at fault (its retry or dead-letter copy
 * could not be published; a dependency is down; a handler was still running at shutdown is returned by the channel
 * closing instead). One choice is right on every version: basic.nack, one delivery at a time, with requeue. From 4.3
 * it costs the message nothing toward its delivery limit; before 4.3 every return counts whatever the method, and the
 * library's limit (maxRedeliveries, dead-lettered with reasons) sits below the queue's x-delivery-limit.
 */
export const GIVE_BACK = { method: 'nack', multiple: false, requeue: true } as const;
