// The order service: HTTP API, its database (orders + outbox + inbox), and the messaging it needs.
import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { MessagingModule } from '@app/messaging';
import { DatabaseModule } from '@app/persistence';
import { ServiceKitModule } from '@app/service-kit';
import { NotificationOutcomeHandler } from './orders/notification-outcome.handler';
import { OrdersController } from './orders/orders.controller';
import { OrdersService } from './orders/orders.service';
import { ordersConfig } from './orders-config';
import { SERVICE_NAME } from './service-name';

@Module({
  imports: [
    ConfigModule.forRoot({ ignoreEnvFile: true, load: [ordersConfig] }), // this app's own variables (.env is read by tracing.ts)
    ServiceKitModule.forRoot({ serviceName: SERVICE_NAME }), // logs, /metrics, /health, correlation ids, /admin
    MessagingModule.forRoot({ serviceName: SERVICE_NAME }),
    DatabaseModule.forRoot(), // PostgreSQL (DATABASE_URL) or the embedded one; migrations from apps/orders/migrations
  ],
  controllers: [OrdersController],
  providers: [OrdersService, NotificationOutcomeHandler],
})
export class OrdersAppModule {}
