// Bench peer: request/reply on the @nestjs/microservices RMQ transport (Nest 12) in one process, as its docs write it:
// a @MessagePattern handler on a ServerRMQ (noAck: false, acked through RmqContext), and ClientRMQ.send() over
// direct reply-to (its default), on a queue of the same type as the library's.
//   AMQP_URL, BENCH_REQUEST_QUEUE, BENCH_QUEUE_TYPE, BENCH_PREFETCH, BENCH_COUNT, BENCH_IN_FLIGHT, BENCH_SECONDS
'use strict';
require('reflect-metadata');
const { Controller, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { ClientRMQ, Ctx, MessagePattern, Payload, Transport } = require('@nestjs/microservices');
const { firstValueFrom } = require('rxjs');
const { driveRequests } = require('../../support/request-driver');
const link = require('../../support/worker-link');

const PATTERN = 'bench.request';

class BenchResponder {
  answer(request, context) {
    context.getChannelRef().ack(context.getMessage());
    return { seq: request.seq };
  }
}
// Plain JS has no decorator syntax: apply them as TypeScript would.
const answer = Object.getOwnPropertyDescriptor(BenchResponder.prototype, 'answer');
Reflect.decorate([MessagePattern(PATTERN)], BenchResponder.prototype, 'answer', answer);
Payload()(BenchResponder.prototype, 'answer', 0);
Ctx()(BenchResponder.prototype, 'answer', 1);
Reflect.defineMetadata('design:paramtypes', [Object, Object], BenchResponder.prototype, 'answer');
Controller()(BenchResponder);

class BenchModule {}
Module({ controllers: [BenchResponder] })(BenchModule);

async function main() {
  await link.loaded();
  const rmq = {
    urls: [process.env.AMQP_URL],
    queue: process.env.BENCH_REQUEST_QUEUE,
    queueOptions: { durable: true, arguments: { 'x-queue-type': process.env.BENCH_QUEUE_TYPE || 'quorum' } },
  };
  const app = await NestFactory.createMicroservice(BenchModule, {
    transport: Transport.RMQ,
    options: { ...rmq, noAck: false, prefetchCount: Number(process.env.BENCH_PREFETCH) },
    logger: false,
  });
  const client = new ClientRMQ(rmq);
  link.onStop(async () => {
    await client.close();
    await app.close();
  });
  await app.listen();
  await client.connect();
  await driveRequests((seq) => firstValueFrom(client.send(PATTERN, { seq, note: 'x'.repeat(90) })));
}

main().catch(link.fail);
