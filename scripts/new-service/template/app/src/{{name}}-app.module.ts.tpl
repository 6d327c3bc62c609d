// The {{name}} service: consumes order.created and records each order in its own database (the sample to make yours).
import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { MessagingModule } from '@app/messaging';
import { DatabaseModule } from '@app/persistence';
import { ServiceKitModule } from '@app/service-kit';
import { OrderCreatedHandler } from './{{name}}/order-created.handler';
import { {{nameCamel}}Config } from './{{name}}-config';
import { SERVICE_NAME } from './service-name';

@Module({
  imports: [
    ConfigModule.forRoot({ ignoreEnvFile: true, load: [{{nameCamel}}Config] }), // this app's own variables (.env is read by tracing.ts)
    ServiceKitModule.forRoot({ serviceName: SERVICE_NAME }), // logs, /metrics, /health, correlation ids, /admin
    MessagingModule.forRoot({ serviceName: SERVICE_NAME }),
    DatabaseModule.forRoot(), // PostgreSQL (DATABASE_URL) or the embedded one; migrations from apps/{{name}}/migrations
  ],
  providers: [OrderCreatedHandler],
})
export class {{Name}}AppModule {}
