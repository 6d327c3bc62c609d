// GET /health/live (the process answers) and GET /health/ready (it can do its work: 503 otherwise).
import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { MessagingHealth } from './messaging-health';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly messaging: MessagingHealth,
  ) {}

  @Get('live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.messaging.lifecycle(),
      () => this.messaging.broker(),
      () => this.messaging.consumers(),
      () => this.messaging.database(),
    ]);
  }
}
