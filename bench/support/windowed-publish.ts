// Bench: publishing on a plain amqplib confirm channel, either as fast as a window of unconfirmed messages allows
// or at a steady rate. Used to pre-fill queues, to pace latency runs and as the raw publish baseline.
import type { ConfirmChannel } from 'amqplib';
import type { WireMessage } from './bench-message';

export interface PublishStats {
  count: number;
  ms: number;
  nacked: number;
}

/**
 * Publishes `count` messages with at most `window` unconfirmed at a time; resolves when all are confirmed. With
 * `untilMs` (a performance.now() time) it stops publishing then, and `count` says how many it published.
 */
export async function publishWindowed(
  channel: ConfirmChannel,
  count: number,
  window: number,
  message: (i: number) => WireMessage,
  untilMs = Infinity,
): Promise<PublishStats> {
  const started = performance.now();
  let inFlight = 0;
  let nacked = 0;
  let slotFree: () => void = () => undefined;
  let i = 0;
  for (; i < count && performance.now() < untilMs; i++) {
    while (inFlight >= window) await new Promise<void>((resolve) => (slotFree = resolve));
    const { exchange, routingKey, content, options } = message(i);
    inFlight++;
    channel.publish(exchange, routingKey, content, options, (error) => {
      if (error) nacked++;
      inFlight--;
      slotFree();
    });
  }
  while (inFlight > 0) await new Promise<void>((resolve) => (slotFree = resolve));
  return { count: i, ms: performance.now() - started, nacked };
}

/** Publishes `count` messages evenly at `perSecond` (a few per timer tick), then waits for the confirms. */
export async function publishAtRate(
  channel: ConfirmChannel,
  count: number,
  perSecond: number,
  message: (i: number) => WireMessage,
): Promise<PublishStats> {
  const started = performance.now();
  let sent = 0;
  let nacked = 0;
  while (sent < count) {
    const due = Math.min(count, Math.floor(((performance.now() - started) * perSecond) / 1000) + 1);
    for (; sent < due; sent++) {
      const { exchange, routingKey, content, options } = message(sent);
      channel.publish(exchange, routingKey, content, options, (error) => {
        if (error) nacked++;
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await channel.waitForConfirms();
  return { count, ms: performance.now() - started, nacked };
}
