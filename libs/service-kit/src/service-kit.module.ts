// ServiceKitModule: what a service needs around its messaging, in one import: structured logs, metrics at /metrics,
// health at /health/live and /health/ready, a correlation id per HTTP request, the input limits on request bodies,
// the dead-letter admin API and the operator console, and the registry of circuit breakers (CircuitsModule). Each
// part can be left out here, or imported alone (LoggingModule, MetricsModule, HealthModule, CorrelationModule,
// InputLimitsModule, AdminModule). Tracing starts before Nest loads (startTracing, from @app/service-kit/tracing), and graceful
// shutdown is wired in main.ts (enableGracefulShutdown). OutageModule answers 503 for a dependency outage.
import { Module, type DynamicModule } from '@nestjs/common';
import { AdminModule } from './admin/admin.module';
import type { AdminOptions } from './admin/admin-token.guard';
import { CircuitsModule } from './circuits/circuits.module';
import { CorrelationModule } from './correlation/correlation.module';
import { HealthModule } from './health/health.module';
import { InputLimitsModule, type InputLimitsOptions } from './input-limits/input-limits.module';
import { LoggingModule, type LoggingOptions } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import type { OutageOptions } from './outage/dependency-outage.filter';
import { OutageModule } from './outage/outage.module';

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
  /**
   * Limits on every HTTP request body, the same as a consumer's: 413 past maxBytes, maxDepth, maxStringLength or
   * maxArrayLength, 400 for a reserved key (`__proto__`...) or text that is not well-formed. Default on, with the
   * defaults of DEFAULT_INPUT_LIMITS; false leaves bodies to Nest's own parser.
   */
  inputLimits?: InputLimitsOptions | false;
  /**
   * The dead-letter admin API under /admin/dead-letters and the operator console at /admin. Default on (refusing every
   * request for data until a token is set).
   */
  admin?: AdminOptions | false;
  /**
   * A request that fails because a dependency is unavailable (the database, Redis) is answered 503 with Retry-After
   * (default 5 s), not 500. Default on; false leaves such errors to Nest's default handling.
   */
  outages?: OutageOptions | false;
}

@Module({})
export class ServiceKitModule {
  static forRoot(options: ServiceKitOptions): DynamicModule {
    const imports: Array<DynamicModule | typeof MetricsModule | typeof CircuitsModule> = [CircuitsModule];
    if (options.logging !== false) imports.push(LoggingModule.forRoot({ ...(options.logging ?? {}), serviceName: options.serviceName }));
    if (options.metrics !== false) imports.push(MetricsModule);
    if (options.health !== false) imports.push(HealthModule);
    if (options.correlation !== false) imports.push(CorrelationModule);
    if (options.inputLimits !== false) imports.push(InputLimitsModule.forRoot(options.inputLimits ?? {}));
    if (options.admin !== false) imports.push(AdminModule.forRoot(options.admin ?? {}));
    if (options.outages !== false) imports.push(OutageModule.forRoot(options.outages ?? {}));
    return { module: ServiceKitModule, imports, exports: imports };
  }
}
