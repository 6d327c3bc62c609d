// CorrelationModule: every HTTP request gets a correlation id (X-Correlation-Id in, or a new one, returned in the
// response) that what it publishes inherits, and a server span when no HTTP instrumentation made one.
import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { CorrelationIdMiddleware } from './correlation-id.middleware';

@Module({})
export class CorrelationModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(CorrelationIdMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
