// The notification service: consumes order.created, sends e-mail through the sandbox provider, publishes results.
import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { DatabaseModule, HealthModule, LoggingModule, MessagingModule, projectRoot } from '@app/messaging';
import { EmailSender } from './notifications/email-sender';
import { NotificationsController } from './notifications/notifications.controller';
import { OrderCreatedHandler } from './notifications/order-created.handler';
import { SandboxEmailProvider } from './notifications/sandbox-email-provider';

@Module({
  imports: [
    LoggingModule.forRoot({ serviceName: 'notifications' }),
    DatabaseModule.forRoot({ serviceName: 'notifications', migrationsFolder: join(projectRoot(), 'apps/notifications/migrations') }),
    MessagingModule.forRoot({ serviceName: 'notifications' }),
    HealthModule,
  ],
  controllers: [NotificationsController],
  providers: [SandboxEmailProvider, EmailSender, OrderCreatedHandler],
})
export class NotificationsAppModule {}
