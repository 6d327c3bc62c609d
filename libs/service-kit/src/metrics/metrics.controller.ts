// GET /metrics: the Prometheus text exposition of the library's (and the application's) metrics.
import { Controller, Get, Header, Res } from '@nestjs/common';
import type { Response } from 'express';
import { MessagingMetrics } from './messaging-metrics';

@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MessagingMetrics) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  async scrape(@Res() response: Response): Promise<void> {
    response.setHeader('Content-Type', this.metrics.registry.contentType);
    response.send(await this.metrics.registry.metrics());
  }
}
