// Bench worker, the request/reply baseline: plain amqplib in one process. The responder consumes its queue (acks after
// the reply is published), the requester consumes direct reply-to and matches replies by correlation id.
//   AMQP_URL, BENCH_REQUEST_QUEUE, BENCH_QUEUE_TYPE, BENCH_PREFETCH, BENCH_COUNT, BENCH_IN_FLIGHT, BENCH_SECONDS
import { randomUUID } from 'node:crypto';
import amqplib from 'amqplib';
import { benchRequest } from '../support/bench-message';
import { driveRequests } from '../support/request-driver';
import * as link from '../support/worker-link';

async function main(): Promise<void> {
  const queue = String(process.env.BENCH_REQUEST_QUEUE);
  await link.loaded();
  const connection = await amqplib.connect(String(process.env.AMQP_URL));
  link.onStop(() => connection.close());

  const responder = await connection.createChannel();
  await responder.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': process.env.BENCH_QUEUE_TYPE ?? 'quorum' } });
  await responder.prefetch(Number(process.env.BENCH_PREFETCH));
  await responder.consume(queue, (message) => {
    if (!message) return;
    const { seq } = JSON.parse(message.content.toString('utf8')) as { seq: number };
    const { replyTo, correlationId } = message.properties as { replyTo: string; correlationId: string };
    responder.publish('', replyTo, Buffer.from(JSON.stringify({ seq })), { correlationId, contentType: 'application/json' });
    responder.ack(message);
  });

  const requester = await connection.createChannel();
  const waiting = new Map<string, (reply: { seq: number }) => void>();
  await requester.consume(
    'amq.rabbitmq.reply-to',
    (message) => {
      const id = message?.properties.correlationId as string | undefined;
      const resolve = id === undefined ? undefined : waiting.get(id);
      if (!message || !resolve || id === undefined) return;
      waiting.delete(id);
      resolve(JSON.parse(message.content.toString('utf8')) as { seq: number });
    },
    { noAck: true },
  );
  const send = (seq: number): Promise<{ seq: number }> =>
    new Promise((resolve) => {
      const correlationId = randomUUID();
      waiting.set(correlationId, resolve);
      requester.sendToQueue(queue, Buffer.from(JSON.stringify(benchRequest(seq))), {
        correlationId,
        messageId: correlationId,
        replyTo: 'amq.rabbitmq.reply-to',
        contentType: 'application/json',
        persistent: true,
      });
    });
  await driveRequests(send);
}

main().catch(link.fail);
