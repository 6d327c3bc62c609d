// Bench peer: a consumer on @golevelup/nestjs-rabbitmq (on Nest 11, the major it supports), as its docs write one:
// @RabbitSubscribe on a provider's method; the library acks when the handler returns.
//   AMQP_URL, BENCH_QUEUE, BENCH_PREFETCH, BENCH_FILL, BENCH_WARMUP, BENCH_LATENCY
'use strict';
require('reflect-metadata');
const { Injectable, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { RabbitMQModule, RabbitSubscribe } = require('@golevelup/nestjs-rabbitmq');
const { ConsumeRecorder } = require('../../support/consume-recorder');
const link = require('../../support/worker-link');

const recorder = ConsumeRecorder.fromEnv();

class BenchHandler {
  handle(message) {
    recorder.record(message);
  }
}
// Plain JS has no decorator syntax: apply them as TypeScript would.
const handle = Object.getOwnPropertyDescriptor(BenchHandler.prototype, 'handle');
Reflect.decorate(
  // The queue exists (declared by the bench as the library declares it): check it, do not assert other arguments.
  [RabbitSubscribe({ queue: process.env.BENCH_QUEUE, createQueueIfNotExists: false })],
  BenchHandler.prototype,
  'handle',
  handle,
);
Injectable()(BenchHandler);

class BenchModule {}
Module({
  imports: [
    RabbitMQModule.forRoot({
      uri: process.env.AMQP_URL,
      prefetchCount: Number(process.env.BENCH_PREFETCH),
      connectionInitOptions: { wait: true, timeout: 10_000 },
    }),
  ],
  providers: [BenchHandler],
})(BenchModule);

async function main() {
  await link.loaded();
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  link.onStop(() => app.close());
  link.emit('ready', link.memory());
}

main().catch(link.fail);
