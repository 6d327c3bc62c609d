// Starts the notification service: HTTP on PORT (default 3001); SIGTERM drains in-flight messages and exits cleanly.
import { NestFactory } from '@nestjs/core';
import { NotificationsAppModule } from './notifications-app.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(NotificationsAppModule);
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT ?? 3001));
}

void bootstrap();
