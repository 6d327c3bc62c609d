// What the order service itself reads from its environment, parsed and checked when the application starts (the
// libraries check their own variables). Injected as `@Inject(ordersConfig.KEY) config: OrdersConfig`.
import { registerAs, type ConfigType } from '@nestjs/config';
import { envPort, type Env } from '@app/messaging';

export function readOrdersConfig(env: Env = process.env) {
  return {
    /** HTTP port: PORT, default 3000. */
    port: envPort(env, 'PORT') ?? 3000,
  };
}

export const ordersConfig = registerAs('orders', () => readOrdersConfig());
export type OrdersConfig = ConfigType<typeof ordersConfig>;
