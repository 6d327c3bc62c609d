// Starts the order service: HTTP on PORT (default 3000); SIGTERM drains and exits cleanly.
import './tracing';
import { NestFactory } from '@nestjs/core';
import { enableGracefulShutdown } from '@app/service-kit';
import { Logger } from 'nestjs-pino';
import { OrdersAppModule } from './orders-app.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(OrdersAppModule, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  enableGracefulShutdown(app);
  await app.listen(Number(process.env.PORT ?? 3000));
}

void bootstrap();
