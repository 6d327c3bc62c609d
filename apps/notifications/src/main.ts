// Starts the notification service: HTTP on PORT (default 3001); SIGTERM drains in-flight messages and exits cleanly.
import './tracing';
import { NestFactory } from '@nestjs/core';
import { enableGracefulShutdown } from '@app/service-kit';
import { Logger } from 'nestjs-pino';
import { NotificationsAppModule } from './notifications-app.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(NotificationsAppModule, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  enableGracefulShutdown(app);
  await app.listen(Number(process.env.PORT ?? 3001));
}

void bootstrap();
