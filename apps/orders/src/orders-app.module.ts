// The order service: HTTP API, its database (orders + outbox + inbox), and the messaging it needs.
import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { DatabaseModule, HealthModule, LoggingModule, MessagingModule, projectRoot } from '@app/messaging';
import { NotificationOutcomeHandler } from './orders/notification-outcome.handler';
import { OrdersController } from './orders/orders.controller';
import { OrdersService } from './orders/orders.service';

@Module({
  imports: [
    LoggingModule.forRoot({ serviceName: 'orders' }),
    DatabaseModule.forRoot({ serviceName: 'orders', migrationsFolder: join(projectRoot(), 'apps/orders/migrations') }),
    MessagingModule.forRoot({ serviceName: 'orders' }),
    HealthModule,
  ],
  controllers: [OrdersController],
  providers: [OrdersService, NotificationOutcomeHandler],
})
export class OrdersAppModule {}
