// Bench worker, the baseline: plain amqplib, channel.consume + ack, nothing else (the JSON parse every contender does).
//   AMQP_URL, BENCH_QUEUE, BENCH_PREFETCH, BENCH_FILL, BENCH_LATENCY
import amqplib from 'amqplib';
import { ConsumeRecorder, type RecordedBody } from '../support/consume-recorder';
import * as link from '../support/worker-link';

async function main(): Promise<void> {
  const recorder = ConsumeRecorder.fromEnv();
  await link.loaded();
  const connection = await amqplib.connect(String(process.env.AMQP_URL));
  link.onStop(() => connection.close());
  const channel = await connection.createChannel();
  await channel.prefetch(Number(process.env.BENCH_PREFETCH));
  await channel.consume(String(process.env.BENCH_QUEUE), (message) => {
    if (!message) return;
    recorder.record(JSON.parse(message.content.toString('utf8')) as RecordedBody);
    channel.ack(message);
  });
  link.emit('ready', link.memory());
}

main().catch(link.fail);
