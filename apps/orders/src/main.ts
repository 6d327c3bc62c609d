// Starts the order service: HTTP on PORT (default 3000) and the messaging transport of its @EventPattern handlers;
// SIGTERM drains and exits cleanly.
// A configuration error (a wrong variable or option) stops the start with one line on stderr and exit code 1.
import './tracing';
import { NestFactory } from '@nestjs/core';
import { MessagingTransport } from '@app/messaging';
import { enableGracefulShutdown, RUN_SERVICE_OPTIONS, runService } from '@app/service-kit';
import { Logger } from 'nestjs-pino';
import { OrdersAppModule } from './orders-app.module';
import { ordersConfig, type OrdersConfig } from './orders-config';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(OrdersAppModule, RUN_SERVICE_OPTIONS);
  app.useLogger(app.get(Logger));
  app.flushLogs();
  enableGracefulShutdown(app);
  // @EventPattern and @MessagePattern handlers join the module's consumers: same connection, same queues.
  app.connectMicroservice({ strategy: app.get(MessagingTransport) });
  await app.startAllMicroservices();
  await app.listen(app.get<OrdersConfig>(ordersConfig.KEY).port);
}

void runService(bootstrap);
