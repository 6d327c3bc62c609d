// Bench peer: a consumer on the @nestjs/microservices RMQ transport (Nest 12), as its docs write one: @EventPattern
// handler, noAck: false, acked by hand through RmqContext. The bench's messages carry no Nest `pattern`, so a
// deserializer maps each to the handler's pattern, as one does for messages from non-Nest producers.
//   AMQP_URL, BENCH_QUEUE, BENCH_PREFETCH, BENCH_FILL, BENCH_WARMUP, BENCH_LATENCY, BENCH_MESSAGE_TYPE
'use strict';
require('reflect-metadata');
const { Controller, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { Ctx, EventPattern, Payload, Transport } = require('@nestjs/microservices');
const { ConsumeRecorder } = require('../../support/consume-recorder');
const link = require('../../support/worker-link');

const PATTERN = process.env.BENCH_MESSAGE_TYPE || 'bench.event';
const recorder = ConsumeRecorder.fromEnv();

class BenchController {
  handle(message, context) {
    recorder.record(message);
    context.getChannelRef().ack(context.getMessage());
  }
}
// Plain JS has no decorator syntax: apply them as TypeScript would.
const handle = Object.getOwnPropertyDescriptor(BenchController.prototype, 'handle');
Reflect.decorate([EventPattern(PATTERN)], BenchController.prototype, 'handle', handle);
Payload()(BenchController.prototype, 'handle', 0);
Ctx()(BenchController.prototype, 'handle', 1);
Reflect.defineMetadata('design:paramtypes', [Object, Object], BenchController.prototype, 'handle');
Controller()(BenchController);

class BenchModule {}
Module({ controllers: [BenchController] })(BenchModule);

async function main() {
  await link.loaded();
  const app = await NestFactory.createMicroservice(BenchModule, {
    transport: Transport.RMQ,
    options: {
      urls: [process.env.AMQP_URL],
      queue: process.env.BENCH_QUEUE,
      // The queue exists (declared by the bench as the library declares it); asserting other arguments would fail.
      noAssert: true,
      noAck: false,
      prefetchCount: Number(process.env.BENCH_PREFETCH),
      deserializer: { deserialize: (value) => ({ pattern: PATTERN, data: value }) },
    },
    logger: false,
  });
  link.onStop(() => app.close());
  await app.listen();
  link.emit('ready', link.memory());
}

main().catch(link.fail);
