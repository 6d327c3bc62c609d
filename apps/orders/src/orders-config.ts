// What the order service itself reads from its environment, parsed and checked when the application starts (the
// libraries check their own variables). Injected as `@Inject(ordersConfig.KEY) config: OrdersConfig`.
import { registerAs, type ConfigType } from '@nestjs/config';
import { envInteger, envPort, type Env } from '@app/messaging';

/** NOTIFICATION_TIMEOUT_MS unless set: 5 minutes. */
export const DEFAULT_NOTIFICATION_TIMEOUT_MS = 300_000;

export function readOrdersConfig(env: Env = process.env) {
  return {
    /** HTTP port: PORT, default 3000. */
    port: envPort(env, 'PORT') ?? 3000,
    /** How long an order waits for its notification before it is OVERDUE (one alert): NOTIFICATION_TIMEOUT_MS, 1 s to 30 days. */
    notificationTimeoutMs:
      envInteger(env, 'NOTIFICATION_TIMEOUT_MS', { min: 1000, max: 30 * 24 * 3600 * 1000 }) ?? DEFAULT_NOTIFICATION_TIMEOUT_MS,
  };
}

export const ordersConfig = registerAs('orders', () => readOrdersConfig());
export type OrdersConfig = ConfigType<typeof ordersConfig>;
