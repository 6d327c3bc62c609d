// Bench worker, the publish baseline: a plain amqplib confirm channel, per-message confirm callbacks, at most
// BENCH_IN_FLIGHT unconfirmed. Publishes BENCH_COUNT messages as the library would envelope them, or as many as it
// can in BENCH_SECONDS, after BENCH_WARMUP untimed (the warm-up, as every worker has: see settings.ts).
//   AMQP_URL, BENCH_COUNT, BENCH_WARMUP, BENCH_IN_FLIGHT, BENCH_SECONDS, BENCH_RUN
import amqplib from 'amqplib';
import { benchWireMessage } from '../support/bench-message';
import { epochNowMs, monotonicUs } from '../support/consume-recorder';
import * as link from '../support/worker-link';
import { publishWindowed } from '../support/windowed-publish';

async function main(): Promise<void> {
  const count = Number(process.env.BENCH_COUNT);
  const run = String(process.env.BENCH_RUN);
  await link.loaded();
  const connection = await amqplib.connect(String(process.env.AMQP_URL));
  link.onStop(() => connection.close());
  const channel = await connection.createConfirmChannel();
  const warmup = (i: number) => benchWireMessage('fill', i, epochNowMs(), `${run}-warmup-${i}`);
  await publishWindowed(channel, Number(process.env.BENCH_WARMUP ?? 0), Number(process.env.BENCH_IN_FLIGHT), warmup);
  link.emit('ready', link.memory());
  const windowStart = monotonicUs();
  const cpu = process.cpuUsage();
  const until = performance.now() + Number(process.env.BENCH_SECONDS) * 1000;
  const stats = await publishWindowed(
    channel,
    count,
    Number(process.env.BENCH_IN_FLIGHT),
    (i) => benchWireMessage('fill', i, epochNowMs(), `${run}-${i}`),
    until,
  );
  const used = process.cpuUsage(cpu);
  const windowUs = [windowStart, monotonicUs()];
  link.emit('publish-done', {
    ...stats,
    perSecond: Math.round((stats.count / stats.ms) * 1000),
    cpuUsPerMessage: (used.user + used.system) / stats.count,
    windowUs,
    ...link.memory(),
  });
}

main().catch(link.fail);
