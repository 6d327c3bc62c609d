// MetricsModule: Prometheus metrics at GET /metrics, the messaging library's counters among them (it provides the
// library's instrumentation). Global, so the library finds it wherever it is imported.
import { Global, Module } from '@nestjs/common';
import { MESSAGING_INSTRUMENTATION } from '@app/messaging';
import { MessagingMetrics } from './messaging-metrics';
import { MetricsController } from './metrics.controller';

@Global()
@Module({
  controllers: [MetricsController],
  providers: [MessagingMetrics, { provide: MESSAGING_INSTRUMENTATION, useExisting: MessagingMetrics }],
  exports: [MessagingMetrics, MESSAGING_INSTRUMENTATION],
})
export class MetricsModule {}
