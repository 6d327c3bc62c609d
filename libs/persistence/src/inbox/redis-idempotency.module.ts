// RedisIdempotencyModule: the "redis" idempotency store, for handlers whose effects live outside the database
// (`@Idempotent({ store: 'redis' })`). The URL is checked at start (REDIS_URL named when it came from there); the
// connection is closed at shutdown. Redis is a dependency named "redis": while it is down, the consumers of those
// handlers pause, their deliveries in flight are deferred without counting an attempt, and readiness says so. The
// client reconnects by itself; the service starts whether Redis is up or not.
import {
  Inject,
  Injectable,
  Logger,
  Module,
  Optional,
  type DynamicModule,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { Redis } from 'ioredis';
import {
  Dependencies,
  DependencyMonitor,
  ConfigError,
  DependencyUnavailableError,
  EnvConfigError,
  envUrl,
  errorMessage,
  IdempotencyStores,
  MessagingConfigError,
  ReadinessCheck,
  redactUrl,
  urlProblem,
  type Env,
  type ReadinessCheckable,
  type ReadinessResult,
  type UrlForm,
} from '@app/messaging';
import { REDIS_DEPENDENCY, RedisIdempotencyStore } from './redis-idempotency-store';

export interface RedisIdempotencyOptions {
  /** redis:// or rediss:// URL. Default REDIS_URL, else redis://127.0.0.1:6379. */
  url?: string;
  /** Prefix of the keys the store writes. Default "idempotency". */
  prefix?: string;
  /** How long connecting may take before the attempt is given up (and tried again). Default 5000 ms. */
  connectTimeoutMs?: number;
  /** How long a command may wait for its answer; past it the delivery is deferred as during an outage. Default 5000 ms. */
  commandTimeoutMs?: number;
}

const REDIS = Symbol('IDEMPOTENCY_REDIS');
const REDIS_AVAILABILITY = Symbol('IDEMPOTENCY_REDIS_AVAILABILITY');

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** What REDIS_URL and the url option accept. */
export const REDIS_URL_FORM: UrlForm = { schemes: ['redis:', 'rediss:'], example: DEFAULT_REDIS_URL };

/** How long the start waits for the first connection (it goes on without it: the consumers wait instead). */
const FIRST_CONNECTION_WAIT_MS = 2000;

/** The option, else REDIS_URL, else the local default; a wrong one throws a ConfigError naming the option or the variable. */
export function resolveRedisUrl(options: RedisIdempotencyOptions, env: Env = process.env): string {
  if (options.url === undefined) return envUrl(env, 'REDIS_URL', REDIS_URL_FORM) ?? DEFAULT_REDIS_URL;
  const problem = urlProblem(options.url, REDIS_URL_FORM);
  if (problem) throw new MessagingConfigError('redis url', `"${redactUrl(options.url)}" ${problem}`);
  return options.url;
}

@Module({})
export class RedisIdempotencyModule {
  static forRoot(options: RedisIdempotencyOptions = {}): DynamicModule {
    return {
      module: RedisIdempotencyModule,
      providers: [
        {
          provide: REDIS,
          useFactory: () => {
            const connectTimeout = positiveInteger('redis connectTimeoutMs', options.connectTimeoutMs) ?? 5000;
            const commandTimeout = positiveInteger('redis commandTimeoutMs', options.commandTimeoutMs) ?? 5000;
            // No auto-pipelining: the store already sends one command per event-loop turn. A command waits for a
            // lost connection through at most two reconnect attempts, then fails (and its delivery is deferred).
            return new Redis(resolveRedisUrl(options), { lazyConnect: false, maxRetriesPerRequest: 2, connectTimeout, commandTimeout });
          },
        },
        {
          provide: REDIS_AVAILABILITY,
          useFactory: async (redis: Redis) => {
            try {
              return await watchRedis(redis, resolveRedisUrl(options), options.url === undefined ? 'env' : 'option');
            } catch (error) {
              redis.disconnect(); // the start stops: nothing else would end its reconnecting
              throw error;
            }
          },
          inject: [REDIS],
        },
        {
          provide: RedisStoreLifecycle,
          useFactory: (redis: Redis, monitor: DependencyMonitor, stores: IdempotencyStores, dependencies?: Dependencies) =>
            new RedisStoreLifecycle(redis, monitor, stores, dependencies, options.prefix),
          inject: [REDIS, REDIS_AVAILABILITY, IdempotencyStores, { token: Dependencies, optional: true }],
        },
        RedisReadiness,
      ],
    };
  }
}

/**
 * The monitor of the connection: up once Redis answers a PING on a ready connection. The client's own events make it
 * look at once (a closed connection, a ready one); the start waits briefly for the first connection.
 */
async function watchRedis(redis: Redis, url: string, source: 'env' | 'option'): Promise<DependencyMonitor> {
  /** Why the last attempt to connect failed: readiness and the outage's log line say it. */
  let lastError: Error | undefined;
  const monitor = new DependencyMonitor({
    name: REDIS_DEPENDENCY,
    probe: async () => {
      if (redis.status !== 'ready') {
        // A refused login is the server's answer to our settings, not an outage: it goes as it is (see fatalError).
        if (lastError && isLoginRefused(lastError)) throw lastError;
        const why = lastError ? `: ${lastError.message}` : '';
        throw new DependencyUnavailableError(REDIS_DEPENDENCY, `not connected to Redis (${redis.status}${why})`);
      }
      await redis.ping();
    },
    // As for the database: a start whose login Redis refuses stops with a configuration error naming REDIS_URL (or
    // the option), the password hidden. Once Redis has been up, a refusal (a password changed under a running
    // service) is an outage like any: the service waits, and readiness says why.
    fatalError: (error) => (error instanceof Error && isLoginRefused(error) ? redisConfigError(error, url, source) : undefined),
  });
  const logger = new Logger('Messaging');
  let refusedLogged = false;
  // Every failed attempt to reconnect is reported here; the monitor logs the outage once, when it starts.
  redis.on('error', (error: Error) => {
    lastError = error;
    logger.debug({ event: 'redis.error', reason: error.message });
    // Wrong credentials in the URL: no reconnect will help, so it is said once at error level, with what to check.
    if (!refusedLogged && isLoginRefused(error)) {
      refusedLogged = true;
      logger.error({
        event: 'redis.login_refused',
        reason: error.message,
        hint: 'check the user and password of REDIS_URL (or the url option)',
      });
    }
  });
  redis.on('close', () => monitor.reportFailure());
  redis.on('ready', () => {
    lastError = undefined;
    refusedLogged = false;
    void monitor.checkNow();
  });
  await firstConnection(redis, FIRST_CONNECTION_WAIT_MS);
  if (!(await monitor.start())) logger.warn({ event: 'redis.waiting', reason: monitor.status.reason });
  return monitor;
}

/** Redis refused the login (AUTH): WRONGPASS for a wrong user or password, NOAUTH for a missing one. */
function isLoginRefused(error: Error): boolean {
  return /^(WRONGPASS|NOAUTH)\b/.test(error.message);
}

function redisConfigError(error: Error, url: string, source: 'env' | 'option'): ConfigError {
  const problem = `was refused by Redis: ${error.message}`;
  return source === 'env'
    ? new EnvConfigError('REDIS_URL', redactUrl(url), problem)
    : new MessagingConfigError('redis url', `"${redactUrl(url)}" ${problem}`);
}

/** Resolves when the client is ready, has failed its first attempt, or after `timeoutMs`, whichever comes first. */
function firstConnection(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      redis.off('ready', done);
      redis.off('error', done);
      redis.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    redis.once('ready', done);
    redis.once('error', done);
    redis.once('close', done);
  });
}

function positiveInteger(key: string, value: number | undefined): number | undefined {
  if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
    throw new MessagingConfigError(key, `must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/** Readiness "redis": the connection is up and answers. */
@Injectable()
@ReadinessCheck(REDIS_DEPENDENCY)
export class RedisReadiness implements ReadinessCheckable {
  constructor(@Inject(REDIS_AVAILABILITY) private readonly monitor: DependencyMonitor) {}

  checkReadiness(): ReadinessResult {
    const status = this.monitor.status;
    return status.up
      ? { up: true }
      : { up: false, details: { message: `unavailable: ${status.reason ?? 'unknown'}`, since: status.since.toISOString() } };
  }
}

class RedisStoreLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly redis: Redis,
    private readonly monitor: DependencyMonitor,
    private readonly stores: IdempotencyStores,
    @Optional() private readonly dependencies?: Dependencies,
    private readonly prefix?: string,
  ) {}

  onModuleInit(): void {
    this.stores.register('redis', new RedisIdempotencyStore(this.redis, undefined, this.prefix));
    this.dependencies?.add(this.monitor);
  }

  async onApplicationShutdown(): Promise<void> {
    this.monitor.stop();
    // QUIT waits for a connection; without one (Redis is down) there is nothing to say goodbye to.
    if (this.redis.status !== 'ready') {
      this.redis.disconnect();
      return;
    }
    await this.redis
      .quit()
      .catch((error: unknown) => new Logger('Messaging').debug({ event: 'redis.quit_failed', reason: errorMessage(error) }));
  }
}
