// Bench worker: this library's request/reply in one process, as a service writes it: a @MessagePattern handler served
// through MessagingTransport (a standalone microservice), and a MessagingClient's send(), validated at both ends.
//   AMQP_URL, BENCH_QUEUE_TYPE, BENCH_PREFETCH, BENCH_COUNT, BENCH_IN_FLIGHT, BENCH_SECONDS
import 'reflect-metadata';
import { APP_OPTIONS, benchLogging, useBenchLogger } from '../support/production-features';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, Payload, type AsyncMicroserviceOptions, type ClientProxy } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import {
  ConsumerSupervisor,
  MessagingClientsModule,
  MessagingModule,
  MessagingTransport,
  MessagingTransportModule,
  type QueueType,
} from '@app/messaging';
import { MetricsModule } from '@app/service-kit';
import { BENCH_SERVICE, BenchRequest, benchRequest } from '../support/bench-message';
import { driveRequests } from '../support/request-driver';
import * as link from '../support/worker-link';

@Controller()
class BenchResponder {
  @MessagePattern(BenchRequest, { prefetch: Number(process.env.BENCH_PREFETCH) })
  answer(@Payload() request: BenchRequest): { seq: number } {
    return { seq: request.seq };
  }
}

@Module({
  imports: [
    ...benchLogging(),
    MetricsModule,
    MessagingModule.forRoot({
      url: String(process.env.AMQP_URL),
      serviceName: BENCH_SERVICE,
      queueType: (process.env.BENCH_QUEUE_TYPE ?? 'quorum') as QueueType,
      delay: 'ladder',
      shutdownTimeoutMs: 2000,
    }),
    MessagingTransportModule.forRoot({ requestTimeoutMs: 30_000 }),
    MessagingClientsModule.register([{ name: 'BENCH' }]),
  ],
  controllers: [BenchResponder],
})
class LibraryRpcModule {}

async function main(): Promise<void> {
  await link.loaded();
  const app = await NestFactory.createMicroservice<AsyncMicroserviceOptions>(LibraryRpcModule, {
    useFactory: (transport: MessagingTransport) => ({ strategy: transport }),
    inject: [MessagingTransport],
    ...APP_OPTIONS,
  });
  useBenchLogger(app);
  link.onStop(() => app.close());
  await app.listen();
  await app.get(ConsumerSupervisor).waitUntilReady();
  const client = app.get<ClientProxy>('BENCH');
  await driveRequests((seq) => firstValueFrom(client.send<{ seq: number }>(BenchRequest, benchRequest(seq))));
}

main().catch(link.fail);
