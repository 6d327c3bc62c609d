// HealthModule: liveness and readiness endpoints for a service that uses MessagingModule (and DatabaseModule).
import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { MessagingHealth } from './messaging-health';

@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [MessagingHealth],
  exports: [MessagingHealth],
})
export class HealthModule {}
