// The notification service: consumes order.created, sends e-mail through the sandbox provider, publishes results, and
// answers notification.status requests.
import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { MessagingModule, MessagingTransportModule } from '@app/messaging';
import { DatabaseModule } from '@app/persistence';
import { ServiceKitModule } from '@app/service-kit';
import { EmailSender } from './notifications/email-sender';
import { NotificationsController } from './notifications/notifications.controller';
import { OrderCreatedHandler } from './notifications/order-created.handler';
import { SandboxEmailProvider } from './notifications/sandbox-email-provider';
import { notificationsConfig } from './notifications-config';
import { SERVICE_NAME } from './service-name';

@Module({
  imports: [
    ConfigModule.forRoot({ ignoreEnvFile: true, load: [notificationsConfig] }), // this app's own variables (.env is read by tracing.ts)
    ServiceKitModule.forRoot({ serviceName: SERVICE_NAME }), // logs, /metrics, /health, correlation ids, /admin
    MessagingModule.forRoot({ serviceName: SERVICE_NAME }),
    MessagingTransportModule.forRoot(), // @MessagePattern handlers (main.ts connects the transport) and clients
    DatabaseModule.forRoot(), // PostgreSQL (DATABASE_URL) or the embedded one; migrations from apps/notifications/migrations
  ],
  controllers: [NotificationsController],
  providers: [SandboxEmailProvider, EmailSender, OrderCreatedHandler],
})
export class NotificationsAppModule {}
