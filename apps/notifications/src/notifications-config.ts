// What the notification service itself reads from its environment, parsed and checked when the application starts
// (the libraries check their own variables). Injected as `@Inject(notificationsConfig.KEY) config: NotificationsConfig`.
import { registerAs, type ConfigType } from '@nestjs/config';
import { envInteger, envPort, type Env } from '@app/messaging';

export function readNotificationsConfig(env: Env = process.env) {
  return {
    /** HTTP port: PORT, default 3001. */
    port: envPort(env, 'PORT') ?? 3001,
    /** Consecutive provider failures that open the e-mail circuit: CIRCUIT_FAILURE_THRESHOLD, default 5. */
    circuitFailureThreshold: envInteger(env, 'CIRCUIT_FAILURE_THRESHOLD', { min: 1, max: 1000 }) ?? 5,
    /** How long the circuit stays open before one trial send: CIRCUIT_HALF_OPEN_AFTER_MS, default 10 s (at most a day). */
    circuitHalfOpenAfterMs: envInteger(env, 'CIRCUIT_HALF_OPEN_AFTER_MS', { min: 1, max: 86_400_000 }) ?? 10_000,
  };
}

export const notificationsConfig = registerAs('notifications', () => readNotificationsConfig());
export type NotificationsConfig = ConfigType<typeof notificationsConfig>;
