// Options of MessagingModule: the typed interface, its defaults in one place, and validation at start.
import {
  envInteger,
  envMatching,
  envOneOf,
  envUrlList,
  MessagingConfigError,
  redactUrl,
  resolveInputLimits,
  splitUrlList,
  urlListProblem,
  type Env,
  type InputLimits,
  type UrlForm,
} from '@app/messaging-core';
import type { ErrorClassifier } from '../errors/classify-error';

export type QueueType = 'quorum' | 'classic';
export type DelayMode = 'ladder' | 'plugin' | 'auto';
export type JitterMode = 'full' | 'equal' | 'none';
/** Where a new quorum queue's leader goes: the node the declaring client is connected to, or the least loaded. */
export type QueueLeaderLocator = 'client-local' | 'balanced';

export interface QuorumOptions {
  /**
   * Replicas of each quorum queue the service declares (`x-quorum-initial-group-size`): 3 on a cluster of 3 or 5
   * nodes tolerates one node down. Default: the broker's (every node of the cluster). Set it before the queues exist:
   * the broker refuses to re-declare a queue with another value (406 PRECONDITION_FAILED).
   */
  initialGroupSize?: number;
  /** `x-queue-leader-locator` of new quorum queues (RabbitMQ 3.10+). Default: the broker's ('client-local'). */
  leaderLocator?: QueueLeaderLocator;
}

export interface BackoffOptions {
  /** Delay before the second attempt. Default 2000 ms. */
  initialMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Upper bound of one delay. Default 300000 ms (5 min). */
  maxMs?: number;
  /** Randomisation, to keep retries of a burst apart. Default 'full'. */
  jitter?: JitterMode;
}

export interface RetryOptions {
  /** Deliveries a message gets in all, the first included. Default 4. */
  maxAttempts?: number;
  backoff?: BackoffOptions;
}

export interface TlsOptions {
  /** PEM of the CA(s) that signed the broker's certificate. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Client certificate and key, for brokers that authenticate clients by certificate. */
  cert?: string | Buffer;
  key?: string | Buffer;
  passphrase?: string;
  /** Default true. Turn off only for a local broker with a self-signed certificate. */
  rejectUnauthorized?: boolean;
  servername?: string;
}

export interface MessagingModuleOptions {
  /** Name of this service; prefixes its queues (`<service>.<message-type>`). Required (or SERVICE_NAME). */
  serviceName?: string;
  /**
   * amqp:// or amqps:// URL of the broker, or of each node of a cluster: an array, or one string with the URLs
   * separated by commas (as AMQP_URL takes them). The library connects to one live node at a time and moves to
   * another when its node goes away. Default AMQP_URL, else amqp://guest:guest@127.0.0.1:5672.
   */
  url?: string | readonly string[];
  tls?: TlsOptions;
  /** Topic exchange of domain events. Default 'domain.events'. */
  exchange?: string;
  /** Type of the queues the library declares. Default 'quorum'. */
  queueType?: QueueType;
  /** How the service's quorum queues are spread over a cluster. Default: as the broker decides. */
  quorum?: QuorumOptions;
  /** Unacknowledged deliveries per handler. Default 20. */
  prefetch?: number;
  /** Largest body a consumer accepts; larger ones are dead-lettered. Default 1 MiB. */
  maxMessageBytes?: number;
  /**
   * Limits on a body's shape, checked once it is parsed and before it is validated; a body past one is dead-lettered
   * as `validation`, with the limit and the place in its reason. Defaults: depth 32, strings 65536, arrays 10000.
   */
  limits?: Partial<Omit<InputLimits, 'maxBytes'>>;
  /**
   * Largest body a fault event carries whole. A larger one (or one past the limits) is described instead: its
   * dead-letter queue, size and sha256, and its top-level short fields (see Fault). Default 64 KiB, or a quarter of
   * maxMessageBytes when that is smaller; at most half of maxMessageBytes, so that a fault fits where its message did.
   */
  faultBodyMaxBytes?: number;
  /** What to do with fields a message class does not declare. Default 'strip'. */
  unknownFields?: 'strip' | 'reject';
  /** How long a publish may wait for a connection and the broker's confirm before it fails. Default 10000 ms. */
  publishTimeoutMs?: number;
  /** AMQP heartbeat. Default 10 s. */
  heartbeatSeconds?: number;
  /** Reconnect backoff: first wait and its cap; doubles in between. Default 250 ms .. 15000 ms. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** How long shutdown waits for in-flight handlers. Default 10000 ms. */
  shutdownTimeoutMs?: number;
  /** Default retry policy of handlers; @Retryable overrides it per handler. */
  retry?: RetryOptions;
  /** Delayed redelivery: the plugin-free ladder, the x-delayed-message plugin, or whichever the broker has. Default 'auto'. */
  delay?: DelayMode;
  /** Redeliveries (by the broker, after a crash) tolerated before a message is dead-lettered. Default 10. */
  maxRedeliveries?: number;
  /** Extra rules that classify errors as transient or permanent, consulted before the library's. */
  errorClassifiers?: ErrorClassifier[];
  /** Publish a fault event when a message is dead-lettered. Default true. */
  publishFaults?: boolean;
  /** Start consumers when the application boots. Default true; false makes a publish-only service. */
  consume?: boolean;
}

export interface ResolvedMessagingOptions {
  serviceName: string;
  /** The first of `urls` (for tools that talk to one node). */
  url: string;
  /** Every node to connect to, in the order given (at least one). */
  urls: readonly string[];
  tls?: TlsOptions;
  exchange: string;
  queueType: QueueType;
  quorum: QuorumOptions;
  prefetch: number;
  maxMessageBytes: number;
  /** maxBytes is maxMessageBytes. */
  limits: InputLimits;
  faultBodyMaxBytes: number;
  unknownFields: 'strip' | 'reject';
  publishTimeoutMs: number;
  heartbeatSeconds: number;
  reconnect: { initialDelayMs: number; maxDelayMs: number };
  shutdownTimeoutMs: number;
  retry: { maxAttempts: number; backoff: Required<BackoffOptions> };
  delay: DelayMode;
  maxRedeliveries: number;
  errorClassifiers: ErrorClassifier[];
  publishFaults: boolean;
  consume: boolean;
}

export type ResolvedRetry = ResolvedMessagingOptions['retry'];

export const DEFAULT_AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
/** Well under the default maxMessageBytes: a fault carries its body, and the failure's description besides. */
const DEFAULT_FAULT_BODY_MAX_BYTES = 64 * 1024;

/** What AMQP_URL and the url option accept. */
export const AMQP_URL_FORM: UrlForm = { schemes: ['amqp:', 'amqps:'], example: DEFAULT_AMQP_URL };

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const NAME_FORM = 'letters, digits, ".", "_" and "-", starting with a letter or digit';
const QUEUE_TYPES: readonly QueueType[] = ['quorum', 'classic'];
const DELAY_MODES: readonly DelayMode[] = ['ladder', 'plugin', 'auto'];
const LEADER_LOCATORS: readonly QueueLeaderLocator[] = ['client-local', 'balanced'];
const PREFETCH_RANGE = { min: 1, max: 65_535 };

/**
 * AMQP_URL as it is written (undefined when unset): one URL, or the URLs of a cluster's nodes separated by commas;
 * throws EnvConfigError naming AMQP_URL when an entry is not an amqp:// or amqps:// URL.
 */
export function amqpUrlFromEnv(env: Env = process.env): string | undefined {
  return amqpUrlsFromEnv(env)?.join(',');
}

/** The broker URLs of AMQP_URL (undefined when unset), each checked. */
export function amqpUrlsFromEnv(env: Env = process.env): string[] | undefined {
  return envUrlList(env, 'AMQP_URL', AMQP_URL_FORM);
}

/**
 * Merges options over the environment and the defaults, and checks every key. A wrong value from the environment
 * throws EnvConfigError naming the variable; a wrong option given in code, MessagingConfigError naming the key.
 * A variable is read only when the option it backs is not given.
 */
export function resolveMessagingOptions(options: MessagingModuleOptions, env: Env = process.env): ResolvedMessagingOptions {
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  positiveInt('maxMessageBytes', maxMessageBytes, 1);
  const urls = options.url !== undefined ? checkedUrls(options.url) : (amqpUrlsFromEnv(env) ?? [DEFAULT_AMQP_URL]);
  const resolved: ResolvedMessagingOptions = {
    serviceName: options.serviceName ?? envMatching(env, 'SERVICE_NAME', NAME_PATTERN, NAME_FORM) ?? '',
    url: urls[0],
    urls,
    tls: options.tls,
    exchange: options.exchange ?? envMatching(env, 'AMQP_EXCHANGE', NAME_PATTERN, NAME_FORM) ?? 'domain.events',
    queueType: options.queueType ?? envOneOf(env, 'AMQP_QUEUE_TYPE', QUEUE_TYPES) ?? 'quorum',
    quorum: { ...options.quorum },
    prefetch: options.prefetch ?? envInteger(env, 'AMQP_PREFETCH', PREFETCH_RANGE) ?? 20,
    maxMessageBytes,
    limits: resolveInputLimits({ ...options.limits, maxBytes: maxMessageBytes }, (key, problem) =>
      key === 'maxBytes' ? new MessagingConfigError('maxMessageBytes', problem) : new MessagingConfigError(`limits.${key}`, problem),
    ),
    faultBodyMaxBytes: options.faultBodyMaxBytes ?? Math.min(DEFAULT_FAULT_BODY_MAX_BYTES, Math.floor(maxMessageBytes / 4)),
    unknownFields: options.unknownFields ?? 'strip',
    publishTimeoutMs: options.publishTimeoutMs ?? 10_000,
    heartbeatSeconds: options.heartbeatSeconds ?? 10,
    reconnect: {
      initialDelayMs: options.reconnect?.initialDelayMs ?? 250,
      maxDelayMs: options.reconnect?.maxDelayMs ?? 15_000,
    },
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? 10_000,
    retry: resolveRetry(options.retry, { maxAttempts: 4, backoff: DEFAULT_BACKOFF }, 'retry'),
    delay: options.delay ?? envOneOf(env, 'AMQP_DELAY', DELAY_MODES) ?? 'auto',
    maxRedeliveries: options.maxRedeliveries ?? 10,
    errorClassifiers: options.errorClassifiers ?? [],
    publishFaults: options.publishFaults ?? true,
    consume: options.consume ?? true,
  };

  if (!resolved.serviceName) throw new MessagingConfigError('serviceName', 'is required (or set SERVICE_NAME)');
  if (!NAME_PATTERN.test(resolved.serviceName)) {
    throw new MessagingConfigError('serviceName', `"${resolved.serviceName}" may hold only letters, digits, ".", "_", "-"`);
  }
  if (!NAME_PATTERN.test(resolved.exchange)) {
    throw new MessagingConfigError('exchange', `"${resolved.exchange}" may hold only letters, digits, ".", "_", "-"`);
  }
  oneOf('queueType', resolved.queueType, QUEUE_TYPES);
  if (resolved.quorum.initialGroupSize !== undefined) positiveInt('quorum.initialGroupSize', resolved.quorum.initialGroupSize, 1, 255);
  if (resolved.quorum.leaderLocator !== undefined) oneOf('quorum.leaderLocator', resolved.quorum.leaderLocator, LEADER_LOCATORS);
  oneOf('unknownFields', resolved.unknownFields, ['strip', 'reject']);
  oneOf('delay', resolved.delay, DELAY_MODES);
  positiveInt('prefetch', resolved.prefetch, PREFETCH_RANGE.min, PREFETCH_RANGE.max);
  positiveInt('faultBodyMaxBytes', resolved.faultBodyMaxBytes, 0, Math.floor(resolved.maxMessageBytes / 2));
  positiveInt('publishTimeoutMs', resolved.publishTimeoutMs, 1);
  positiveInt('heartbeatSeconds', resolved.heartbeatSeconds, 0);
  positiveInt('reconnect.initialDelayMs', resolved.reconnect.initialDelayMs, 1);
  positiveInt('reconnect.maxDelayMs', resolved.reconnect.maxDelayMs, resolved.reconnect.initialDelayMs);
  positiveInt('shutdownTimeoutMs', resolved.shutdownTimeoutMs, 0);
  positiveInt('maxRedeliveries', resolved.maxRedeliveries, 1);
  return resolved;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { initialMs: 2000, factor: 2, maxMs: 300_000, jitter: 'full' };

/** Merges a retry policy over a base one and checks it; `key` names the option in errors. */
export function resolveRetry(
  retry: RetryOptions | undefined,
  base: ResolvedMessagingOptions['retry'],
  key: string,
): ResolvedMessagingOptions['retry'] {
  const merged = {
    maxAttempts: retry?.maxAttempts ?? base.maxAttempts,
    backoff: { ...base.backoff, ...stripUndefined(retry?.backoff ?? {}) },
  };
  positiveInt(`${key}.maxAttempts`, merged.maxAttempts, 1, 1000);
  positiveInt(`${key}.backoff.initialMs`, merged.backoff.initialMs, 0);
  positiveInt(`${key}.backoff.maxMs`, merged.backoff.maxMs, merged.backoff.initialMs);
  if (!Number.isFinite(merged.backoff.factor) || merged.backoff.factor < 1) {
    throw new MessagingConfigError(`${key}.backoff.factor`, 'must be a finite number >= 1');
  }
  oneOf(`${key}.backoff.jitter`, merged.backoff.jitter, ['full', 'equal', 'none']);
  return merged;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The url option as a list (a string is split at its commas, as AMQP_URL is), each entry checked. */
function checkedUrls(url: string | readonly string[]): string[] {
  if (typeof url !== 'string' && !Array.isArray(url)) {
    throw new MessagingConfigError('url', 'must be a URL, or a list of URLs (one per node of a cluster)');
  }
  const urls = typeof url === 'string' ? splitUrlList(url) : [...(url as readonly unknown[])];
  if (!urls.every((entry): entry is string => typeof entry === 'string')) {
    throw new MessagingConfigError('url', 'must be a URL, or a list of URLs (one per node of a cluster)');
  }
  const problem = urlListProblem(urls, AMQP_URL_FORM);
  if (problem) throw new MessagingConfigError('url', `"${urls.map(redactUrl).join(',')}" ${problem}`);
  return urls;
}

function oneOf(key: string, value: string, allowed: readonly string[]): void {
  if (!allowed.includes(value)) {
    throw new MessagingConfigError(key, `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, got "${value}"`);
  }
}

function positiveInt(key: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new MessagingConfigError(key, `must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
}
