// Starts the order service: HTTP on PORT (default 3000); SIGTERM drains and exits cleanly.
import { NestFactory } from '@nestjs/core';
import { OrdersAppModule } from './orders-app.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(OrdersAppModule);
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT ?? 3000));
}

void bootstrap();
