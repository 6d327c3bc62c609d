// The order service: HTTP API, its database (orders + outbox + inbox), and the messaging it needs.
import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { DatabaseModule, HealthModule, MessagingModule, projectRoot } from '@app/messaging';
import { NotificationOutcomeHandler } from './orders/notification-outcome.handler';
import { OrdersController } from './orders/orders.controller';
import { OrdersService } from './orders/orders.service';

@Module({
  imports: [
    DatabaseModule.forRoot({ serviceName: 'orders', migrationsFolder: join(projectRoot(), 'apps/orders/migrations') }),
    MessagingModule.forRoot({ serviceName: 'orders' }),
    HealthModule,
  ],
  controllers: [OrdersController],
  providers: [OrdersService, NotificationOutcomeHandler],
})
export class OrdersAppModule {}
