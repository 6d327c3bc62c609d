// The order service: HTTP API, its database (orders + outbox + inbox), and the messaging it needs.
import { Module } from '@nestjs/common';
import { MessagingModule } from '@app/messaging';
import { DatabaseModule } from '@app/persistence';
import { ServiceKitModule } from '@app/service-kit';
import { NotificationOutcomeHandler } from './orders/notification-outcome.handler';
import { OrdersController } from './orders/orders.controller';
import { OrdersService } from './orders/orders.service';
import { SERVICE_NAME } from './service-name';

@Module({
  imports: [
    ServiceKitModule.forRoot({ serviceName: SERVICE_NAME }), // logs, /metrics, /health, correlation ids, /admin
    MessagingModule.forRoot({ serviceName: SERVICE_NAME }),
    DatabaseModule.forRoot(), // PostgreSQL (DATABASE_URL) or the embedded one; migrations from apps/orders/migrations
  ],
  controllers: [OrdersController],
  providers: [OrdersService, NotificationOutcomeHandler],
})
export class OrdersAppModule {}
