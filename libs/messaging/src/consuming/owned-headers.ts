// The counters a delivery carries in headers the library or the broker owns (x-attempts, x-delivery-count,
// x-schema-version), read in this one place and judged: a publisher can set any header, so a counter is believed only
// where its owner can have written it, and a value of the wrong form makes the delivery poison (with a reason)
// rather than being read as "none". What the broker writes changes between versions: extend HeaderTrust and
// readOwnedHeaders here, nowhere else.
import type { ConsumeMessage } from 'amqplib';
import type { BrokerSemantics } from '../connection/broker-semantics';
import type { QueueType } from '../options/messaging-options';
import { DELAY_LEVELS, MessageHeaders, TopologyNames } from '../topology/topology-names';

/** What decides whether a counter header can be believed on a delivery of one consumer. */
export interface HeaderTrust {
  /**
   * The exchanges a retry copy arrives through (the delay ladder's exchanges, which a delivery names as the last one
   * that dead-lettered it, and the plugin's): the library writes x-attempts only on those copies, so the header is
   * believed only on a delivery from one of them.
   */
  retryExchanges: ReadonlySet<string>;
  /**
   * The queue's broker writes x-delivery-count on a redelivery, over whatever the publisher put there: quorum queues,
   * and from RabbitMQ 4.3 classic queues too. On a classic queue before 4.3 the header is only ever a publisher's, and
   * a redelivery counts as one.
   */
  brokerCountsRedeliveries: boolean;
}

/** The counters of a delivery, as far as they can be believed, and what is wrong with its headers. */
export interface OwnedHeaders {
  /** Number of this delivery, 1 for the first; a retry copy's x-attempts + 1. */
  attempt: number;
  /** Broker redeliveries of this attempt. */
  redeliveries: number;
  /** x-schema-version, when the publisher set one. */
  schemaVersion?: number;
  /** One line per header whose value no owner would write; a delivery with any is poison. Empty when all is well. */
  problems: readonly string[];
}

/** The most attempts a retry policy allows (resolveRetry): an x-attempts above it was not written by this library. */
export const MAX_ATTEMPTS = 1000;
/** The largest schema version taken as one: a signed 32-bit integer, far above any real class's. */
const MAX_SCHEMA_VERSION = 2_147_483_647;

const LIBRARY_NAMES = new TopologyNames('', '');
const NO_PROBLEMS: readonly string[] = Object.freeze([]);

/** Trust for a consumer of the library's queues: the library's delay exchanges, its queue type and its broker. */
export function headerTrustFor(
  queueType: QueueType,
  names: TopologyNames = LIBRARY_NAMES,
  broker: Pick<BrokerSemantics, 'classicQueuesCountDeliveries'> = { classicQueuesCountDeliveries: false },
): HeaderTrust {
  return {
    retryExchanges: new Set([
      names.delayDeliveryExchange,
      names.delayedMessageExchange,
      ...Array.from({ length: DELAY_LEVELS }, (_, level) => names.delayLevelExchange(level)),
    ]),
    brokerCountsRedeliveries: queueType === 'quorum' || broker.classicQueuesCountDeliveries,
  };
}

/** The library's defaults (quorum queues), for a context built without a consumer (tests, tools). */
export const DEFAULT_HEADER_TRUST: HeaderTrust = headerTrustFor('quorum');

export function readOwnedHeaders(raw: ConsumeMessage, trust: HeaderTrust = DEFAULT_HEADER_TRUST): OwnedHeaders {
  const headers: Record<string, unknown> = raw.properties.headers ?? {};
  let problems: string[] | undefined;
  const read = (name: string, min: number, max: number, form: string): number | undefined => {
    const value = headers[name];
    if (value === undefined) return undefined;
    const count = wholeNumber(value);
    if (count === undefined || count < min || count > max) {
      (problems ??= []).push(`header ${name} is ${shown(value)}, not ${form}`);
      return undefined;
    }
    return count;
  };

  const attempts = read(MessageHeaders.attempts, 0, MAX_ATTEMPTS, `a count of attempts (a whole number from 0 to ${MAX_ATTEMPTS})`);
  const deliveryCount = read(MessageHeaders.deliveryCount, 0, Number.MAX_SAFE_INTEGER, 'a delivery count (a whole number >= 0)');
  const schemaVersion = read(MessageHeaders.schemaVersion, 1, MAX_SCHEMA_VERSION, 'a schema version (a whole number >= 1)');

  // A publisher's x-attempts on a first publish would cut the message's retries short: only a retry copy counts.
  const attempt = attempts !== undefined && trust.retryExchanges.has(raw.fields.exchange) ? attempts + 1 : 1;
  // The broker writes x-delivery-count only on a redelivery, and classic queues not at all: otherwise it is a publisher's.
  let redeliveries = 0;
  if (raw.fields.redelivered) redeliveries = trust.brokerCountsRedeliveries ? Math.max(deliveryCount ?? 0, 1) : 1;
  return { attempt, redeliveries, schemaVersion, problems: problems ?? NO_PROBLEMS };
}

/** A whole number from a number or a text of decimal digits (as some clients write headers); undefined otherwise. */
function wholeNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value)) return Number(value);
  return undefined;
}

/** The value as a short text for a reason: a header may hold anything, of any length. */
function shown(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : Buffer.isBuffer(value) ? `bytes(${value.length})` : String(value);
  } catch {
    text = typeof value;
  }
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
