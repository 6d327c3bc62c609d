// Bench worker: this library's MessagePublisher.publish (validation, envelope, trace context, confirm), each call
// awaited, BENCH_IN_FLIGHT calls at a time, BENCH_COUNT messages or as many as it can in BENCH_SECONDS, after
// BENCH_WARMUP untimed (the warm-up, as every worker has: see settings.ts). Publish-only
// service (consume: false), with what a production service runs beside it (production-features.ts).
//   AMQP_URL, BENCH_COUNT, BENCH_WARMUP, BENCH_IN_FLIGHT, BENCH_SECONDS, BENCH_RUN
import 'reflect-metadata';
import { APP_OPTIONS, benchLogging, useBenchLogger } from '../support/production-features';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePublisher, MessagingModule } from '@app/messaging';
import { MetricsModule } from '@app/service-kit';
import { BENCH_SERVICE, BenchEvent, benchBody } from '../support/bench-message';
import { epochNowMs, monotonicUs } from '../support/consume-recorder';
import * as link from '../support/worker-link';

@Module({
  imports: [
    ...benchLogging(),
    MetricsModule,
    MessagingModule.forRoot({ url: String(process.env.AMQP_URL), serviceName: BENCH_SERVICE, consume: false, delay: 'ladder' }),
  ],
})
class LibraryPublisherModule {}

async function main(): Promise<void> {
  const count = Number(process.env.BENCH_COUNT);
  const inFlight = Number(process.env.BENCH_IN_FLIGHT);
  const run = String(process.env.BENCH_RUN);
  await link.loaded();
  const app = await NestFactory.createApplicationContext(LibraryPublisherModule, APP_OPTIONS);
  useBenchLogger(app);
  link.onStop(() => app.close());
  const publisher = app.get(MessagePublisher);
  let next = 0;
  let failed = 0;
  /** Publishes messages `next` .. `total - 1` (message ids `<run>-<label><i>`), inFlight at a time, until `until`. */
  const publishUpTo = async (total: number, label: string, until: number): Promise<void> => {
    const lane = async (): Promise<void> => {
      while (next < total && performance.now() < until) {
        const i = next++;
        await publisher
          .publish(BenchEvent, benchBody('fill', i, epochNowMs()), { messageId: `${run}-${label}${i}` })
          .catch(() => void failed++);
      }
    };
    await Promise.all(Array.from({ length: inFlight }, lane));
  };
  // Also opens the channel (on first use), as a running service would have it before timing.
  await publishUpTo(Math.max(1, Number(process.env.BENCH_WARMUP ?? 0)), 'warmup-', Infinity);
  next = 0;
  failed = 0;
  link.emit('ready', link.memory());

  const windowStart = monotonicUs();
  const cpu = process.cpuUsage();
  const started = performance.now();
  await publishUpTo(count, '', started + Number(process.env.BENCH_SECONDS) * 1000);
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const windowUs = [windowStart, monotonicUs()];
  link.emit('publish-done', {
    count: next,
    ms,
    nacked: failed,
    perSecond: Math.round((next / ms) * 1000),
    cpuUsPerMessage: (used.user + used.system) / next,
    windowUs,
    ...link.memory(),
  });
}

main().catch(link.fail);
