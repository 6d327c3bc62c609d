// The order service: HTTP API, its database (orders + outbox + inbox + its saga's instances), and the messaging it
// needs: scheduled messages (the saga's timeout) and sagas.
import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { MessagingClientsModule, MessagingModule, MessagingTransportModule, SchedulingModule } from '@app/messaging';
import { DatabaseModule, SagasModule } from '@app/persistence';
import { ServiceKitModule } from '@app/service-kit';
import { OrderNotificationSaga } from './orders/order-notification.saga';
import { NOTIFICATIONS, OrdersController } from './orders/orders.controller';
import { OrdersService } from './orders/orders.service';
import { ordersConfig } from './orders-config';
import { SERVICE_NAME } from './service-name';

@Module({
  imports: [
    ConfigModule.forRoot({ ignoreEnvFile: true, load: [ordersConfig] }), // this app's own variables (.env is read by tracing.ts)
    ServiceKitModule.forRoot({ serviceName: SERVICE_NAME }), // logs, /metrics, /health, correlation ids, /admin
    MessagingModule.forRoot({ serviceName: SERVICE_NAME }),
    MessagingTransportModule.forRoot(), // @EventPattern handlers (main.ts connects the transport) and clients
    MessagingClientsModule.register([{ name: NOTIFICATIONS, timeoutMs: 3000 }]), // asks notifications (request/reply)
    DatabaseModule.forRoot(), // PostgreSQL (DATABASE_URL) or the embedded one; migrations from apps/orders/migrations
    SchedulingModule.forRoot(), // scheduled messages: the saga's timeout
    SagasModule.forRoot(), // @Saga classes: their handlers, their instances in the database, /admin/sagas
  ],
  controllers: [OrdersController],
  providers: [OrdersService, OrderNotificationSaga],
})
export class OrdersAppModule {}
