// Bench worker: this library's consumer, as a service would write it: MessagingModule + one @MessageHandler (decode,
// validation pipe, correlation, retry/dead-letter decision), optionally @Idempotent with Redis or the PostgreSQL inbox,
// with what a production service runs beside it (production-features.ts): OpenTelemetry's SDK registered, metrics,
// pino at info to /dev/null. Mode `logging` logs at debug (a line per acked message). In mode `transport` the handler
// is an @EventPattern method of a controller, served through MessagingTransport (a standalone microservice).
//   AMQP_URL, BENCH_PREFETCH, BENCH_FILL, BENCH_LATENCY, BENCH_QUEUE_TYPE, BENCH_MODE=plain|redis|database|logging|transport,
//   REDIS_URL (redis), BENCH_DATABASE_URL (database), BENCH_FEATURES, BENCH_LOG_FILE (see production-features.ts)
import 'reflect-metadata';
import { APP_OPTIONS, benchLogging, useBenchLogger } from '../support/production-features';
import { Controller, Injectable, Module, type DynamicModule, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, Payload, type AsyncMicroserviceOptions } from '@nestjs/microservices';
import {
  Idempotent,
  MessageHandler,
  ConsumerSupervisor,
  MessagingModule,
  MessagingTransport,
  MessagingTransportModule,
  type QueueType,
} from '@app/messaging';
import { DatabaseModule, RedisIdempotencyModule } from '@app/persistence';
import { MetricsModule } from '@app/service-kit';
import { BENCH_SERVICE, BenchEvent } from '../support/bench-message';
import { ConsumeRecorder } from '../support/consume-recorder';
import * as link from '../support/worker-link';

const recorder = ConsumeRecorder.fromEnv();

@Injectable()
class PlainHandler {
  @MessageHandler(BenchEvent)
  handle(message: BenchEvent): void {
    recorder.record(message);
  }
}

@Injectable()
class RedisIdempotentHandler {
  @MessageHandler(BenchEvent)
  @Idempotent({ store: 'redis', ttlMs: 3_600_000 })
  handle(message: BenchEvent): void {
    recorder.record(message);
  }
}

@Injectable()
class InboxIdempotentHandler {
  @MessageHandler(BenchEvent)
  @Idempotent()
  handle(message: BenchEvent): void {
    recorder.record(message);
  }
}

@Controller()
class PatternHandler {
  @EventPattern(BenchEvent)
  handle(@Payload() message: BenchEvent): void {
    recorder.record(message);
  }
}

const HANDLERS: Record<string, Type> = {
  plain: PlainHandler,
  redis: RedisIdempotentHandler,
  database: InboxIdempotentHandler,
  logging: PlainHandler,
  transport: PatternHandler,
};

function benchModule(mode: string): DynamicModule {
  const handler = HANDLERS[mode];
  if (!handler) throw new Error(`BENCH_MODE must be one of ${Object.keys(HANDLERS).join(', ')}, got ${mode}`);
  @Module({})
  class LibraryConsumerModule {}
  return {
    module: LibraryConsumerModule,
    imports: [
      // As a service runs it: its counters on, Prometheus-ready (what a scrape reads is not measured).
      MetricsModule,
      ...(mode === 'database' ? [DatabaseModule.forRoot({ serviceName: BENCH_SERVICE, url: String(process.env.BENCH_DATABASE_URL) })] : []),
      ...(mode === 'redis' ? [RedisIdempotencyModule.forRoot({ url: process.env.REDIS_URL })] : []),
      ...benchLogging(),
      MessagingModule.forRoot({
        url: String(process.env.AMQP_URL),
        serviceName: BENCH_SERVICE,
        prefetch: Number(process.env.BENCH_PREFETCH),
        queueType: (process.env.BENCH_QUEUE_TYPE ?? 'quorum') as QueueType,
        delay: 'ladder',
        shutdownTimeoutMs: 2000,
      }),
      ...(mode === 'transport' ? [MessagingTransportModule.forRoot()] : []),
    ],
    ...(mode === 'transport' ? { controllers: [handler] } : { providers: [handler] }),
  };
}

async function main(): Promise<void> {
  const mode = process.env.BENCH_MODE ?? 'plain';
  const module = benchModule(mode);
  await link.loaded();
  if (mode === 'transport') {
    const microservice = await NestFactory.createMicroservice<AsyncMicroserviceOptions>(module, {
      useFactory: (transport: MessagingTransport) => ({ strategy: transport }),
      inject: [MessagingTransport],
      ...APP_OPTIONS,
    });
    useBenchLogger(microservice);
    link.onStop(() => microservice.close());
    await microservice.listen();
    await microservice.get(ConsumerSupervisor).waitUntilReady();
    link.emit('ready', link.memory());
    return;
  }
  const app = await NestFactory.createApplicationContext(module, APP_OPTIONS);
  useBenchLogger(app);
  link.onStop(() => app.close());
  await app.get(ConsumerSupervisor).waitUntilReady();
  link.emit('ready', link.memory());
}

main().catch(link.fail);
