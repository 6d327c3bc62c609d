// ServiceKitModule: what a service needs around its messaging, in one import: structured logs, metrics at /metrics,
// health at /health/live and /health/ready, a correlation id per HTTP request, and the dead-letter admin API. Each
// part can be left out here, or imported alone (LoggingModule, MetricsModule, HealthModule, CorrelationModule,
// AdminModule). Tracing starts before Nest loads (startTracing, from @app/service-kit/tracing), and graceful
// shutdown is wired in main.ts (enableGracefulShutdown).
import { Module, type DynamicModule } from '@nestjs/common';
import { AdminModule } from './admin/admin.module';
import type { AdminOptions } from './admin/admin-token.guard';
import { CorrelationModule } from './correlation/correlation.module';
import { HealthModule } from './health/health.module';
import { LoggingModule, type LoggingOptions } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';

export interface ServiceKitOptions {
  /** The service's name, on every log line. */
  serviceName: string;
  /** pino logs (level, format, destination). Default on; false to keep Nest's own logger. */
  logging?: Omit<LoggingOptions, 'serviceName'> | false;
  /** GET /metrics. Default on. */
  metrics?: boolean;
  /** GET /health/live and /health/ready. Default on. */
  health?: boolean;
  /** X-Correlation-Id on every HTTP request. Default on. */
  correlation?: boolean;
  /** The dead-letter admin API under /admin/dead-letters. Default on (refusing every request until a token is set). */
  admin?: AdminOptions | false;
}

@Module({})
export class ServiceKitModule {
  static forRoot(options: ServiceKitOptions): DynamicModule {
    const imports: Array<DynamicModule | typeof MetricsModule> = [];
    if (options.logging !== false) imports.push(LoggingModule.forRoot({ ...(options.logging ?? {}), serviceName: options.serviceName }));
    if (options.metrics !== false) imports.push(MetricsModule);
    if (options.health !== false) imports.push(HealthModule);
    if (options.correlation !== false) imports.push(CorrelationModule);
    if (options.admin !== false) imports.push(AdminModule.forRoot(options.admin ?? {}));
    return { module: ServiceKitModule, imports, exports: imports };
  }
}
