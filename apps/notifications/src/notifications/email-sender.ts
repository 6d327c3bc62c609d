// Sends e-mail through the provider behind a circuit breaker: while the provider keeps failing, sends fail fast
// (as transient errors, so messages wait in the delay ladder instead of hammering it).
import { Injectable, Logger } from '@nestjs/common';
import { TransientError } from '@app/messaging';
import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleType, type CircuitBreakerPolicy } from 'cockatiel';
import { ProviderUnavailableError, SandboxEmailProvider, type EmailMessage, type EmailReceipt } from './sandbox-email-provider';

export class CircuitOpenError extends TransientError {
  override readonly name = 'CircuitOpenError';
}

@Injectable()
export class EmailSender {
  private readonly logger = new Logger('Notifications');
  private readonly breaker: CircuitBreakerPolicy;

  constructor(private readonly provider: SandboxEmailProvider) {
    this.breaker = circuitBreaker(handleType(ProviderUnavailableError), {
      halfOpenAfter: Number(process.env.CIRCUIT_HALF_OPEN_AFTER_MS ?? 10_000),
      breaker: new ConsecutiveBreaker(Number(process.env.CIRCUIT_FAILURE_THRESHOLD ?? 5)),
    });
    this.breaker.onStateChange((state) => this.logger.warn({ event: 'circuit.state_changed', circuit: 'email-provider', state: CircuitState[state] }));
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
