// Sends e-mail through the provider behind a circuit breaker: while the provider keeps failing, sends fail fast
// (as transient errors, so messages wait in the delay ladder instead of hammering it).
import { Inject, Injectable, Logger } from '@nestjs/common';
import { TransientError } from '@app/messaging';
import { CircuitRegistry, type CircuitState as ReportedState } from '@app/service-kit';
import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleType, type CircuitBreakerPolicy } from 'cockatiel';
import { notificationsConfig, type NotificationsConfig } from '../notifications-config';
import { ProviderUnavailableError, SandboxEmailProvider, type EmailMessage, type EmailReceipt } from './sandbox-email-provider';

export class CircuitOpenError extends TransientError {
  override readonly name = 'CircuitOpenError';
}

const REPORTED_STATES: Record<CircuitState, ReportedState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Open]: 'open',
  [CircuitState.Isolated]: 'isolated',
};

@Injectable()
export class EmailSender {
  private readonly logger = new Logger('Notifications');
  private readonly breaker: CircuitBreakerPolicy;

  constructor(
    private readonly provider: SandboxEmailProvider,
    circuits: CircuitRegistry,
    @Inject(notificationsConfig.KEY) config: NotificationsConfig,
  ) {
    this.breaker = circuitBreaker(handleType(ProviderUnavailableError), {
      halfOpenAfter: config.circuitHalfOpenAfterMs,
      breaker: new ConsecutiveBreaker(config.circuitFailureThreshold),
    });
    // Reported to the service kit: the admin console shows it, /metrics exports it as circuit_breaker_state.
    const circuit = circuits.register('email-provider');
    this.breaker.onStateChange((state) => {
      circuit.set(REPORTED_STATES[state]);
      this.logger.warn({ event: 'circuit.state_changed', circuit: circuit.name, state: CircuitState[state] });
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
