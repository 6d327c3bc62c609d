// Sends e-mail through the provider behind a circuit breaker: while the provider keeps failing, sends fail fast
// (as transient errors, so messages wait in the delay ladder instead of hammering it).
import { Inject, Injectable, Logger } from '@nestjs/common';
import { TransientError } from '@app/messaging';
import { MessagingMetrics } from '@app/service-kit';
import { Gauge } from 'prom-client';
import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleType, type CircuitBreakerPolicy } from 'cockatiel';
import { notificationsConfig, type NotificationsConfig } from '../notifications-config';
import { ProviderUnavailableError, SandboxEmailProvider, type EmailMessage, type EmailReceipt } from './sandbox-email-provider';

export class CircuitOpenError extends TransientError {
  override readonly name = 'CircuitOpenError';
}

@Injectable()
export class EmailSender {
  private readonly logger = new Logger('Notifications');
  private readonly breaker: CircuitBreakerPolicy;

  constructor(
    private readonly provider: SandboxEmailProvider,
    metrics: MessagingMetrics,
    @Inject(notificationsConfig.KEY) config: NotificationsConfig,
  ) {
    this.breaker = circuitBreaker(handleType(ProviderUnavailableError), {
      halfOpenAfter: config.circuitHalfOpenAfterMs,
      breaker: new ConsecutiveBreaker(config.circuitFailureThreshold),
    });
    this.breaker.onStateChange((state) =>
      this.logger.warn({ event: 'circuit.state_changed', circuit: 'email-provider', state: CircuitState[state] }),
    );
    const breaker = this.breaker;
    new Gauge({
      name: 'circuit_breaker_state',
      help: 'State of a circuit breaker: 0 closed, 1 half-open, 2 open, 3 isolated',
      labelNames: ['circuit'] as const,
      registers: [metrics.registry],
      collect() {
        const value = { [CircuitState.Closed]: 0, [CircuitState.HalfOpen]: 1, [CircuitState.Open]: 2, [CircuitState.Isolated]: 3 }[
          breaker.state
        ];
        this.set({ circuit: 'email-provider' }, value);
      },
    });
  }

  get circuitState(): string {
    return CircuitState[this.breaker.state];
  }

  async send(message: EmailMessage): Promise<EmailReceipt> {
    try {
      return await this.breaker.execute(() => this.provider.send(message));
    } catch (error) {
      if (error instanceof BrokenCircuitError) throw new CircuitOpenError('The e-mail provider circuit is open', { cause: error });
      throw error;
    }
  }
}
