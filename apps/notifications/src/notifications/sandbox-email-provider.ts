// A stand-in e-mail provider whose behaviour the recipient chooses, so that every failure path can be shown:
//   transient-N@...  fails (503-like) on the first N attempts of a message, then succeeds
//   reject@...       is refused (422-like), never succeeds
//   slow-MS@...      takes MS milliseconds
// It deduplicates by idempotency key, as real providers do: a repeated send returns the first receipt.
import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PermanentError, TransientError } from '@app/messaging';

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  /** The provider sends at most once per key. */
  idempotencyKey: string;
}

export interface EmailReceipt {
  providerMessageId: string;
}

export class ProviderUnavailableError extends TransientError {
  override readonly name = 'ProviderUnavailableError';
}

export class ProviderRejectedError extends PermanentError {
  override readonly name = 'ProviderRejectedError';
}

const MAX_REMEMBERED = 50_000;

@Injectable()
export class SandboxEmailProvider {
  private readonly attempts = new Map<string, number>();
  private readonly sent = new Map<string, EmailReceipt>();
  /** Sends that really went out (not deduplicated): what a real mailbox would receive. */
  delivered = 0;

  async send(message: EmailMessage): Promise<EmailReceipt> {
    const earlier = this.sent.get(message.idempotencyKey);
    if (earlier) return earlier;
    const attempt = (this.attempts.get(message.idempotencyKey) ?? 0) + 1;
    this.remember(this.attempts, message.idempotencyKey, attempt);
    const localPart = message.to.split('@')[0].toLowerCase();

    const slow = /^slow-(\d{1,6})$/.exec(localPart);
    if (slow) await new Promise((resolve) => setTimeout(resolve, Number(slow[1])));
    if (localPart === 'reject') throw new ProviderRejectedError('The provider refused the recipient (422)');
    const transient = /^transient-(\d{1,3})$/.exec(localPart);
    if (transient && attempt <= Number(transient[1])) {
      throw new ProviderUnavailableError(`The provider is unavailable (503), attempt ${attempt}`);
    }
    const receipt = { providerMessageId: `sandbox-${randomUUID()}` };
    this.remember(this.sent, message.idempotencyKey, receipt);
    this.delivered++;
    return receipt;
  }

  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.set(key, value);
    if (map.size > MAX_REMEMBERED) map.delete(map.keys().next().value as string);
  }
}
