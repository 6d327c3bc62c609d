// Step "idempotency" (handlers marked @Idempotent): claims the message's key in the handler's store and runs the rest
// of the pipeline inside that claim, in the store's transaction for the database store. A message already handled
// is acked here as a duplicate, before any guard or interceptor of the user's runs.
import { Injectable, Logger } from '@nestjs/common';
import { PermanentError } from '@app/messaging-core';
import type { HandlerDefinition } from '../../handlers/handler-definition';
import type { IdempotencyStore } from '../../idempotency/idempotency-store';
import { IdempotencyStores } from '../../idempotency/idempotency-stores';
import type { IdempotentOptions } from '../../idempotency/idempotent.decorator';
import type { ConsumeStep, NextStep } from '../consume-step';
import type { Delivery } from '../delivery';
import { bindTransaction } from '../message-context';

const DEFAULT_TTL_MS = 7 * 24 * 3600 * 1000;

interface Prepared {
  store: IdempotencyStore;
  key?: (message: object) => string;
  ttlMs: number;
}

@Injectable()
export class IdempotencyStep implements ConsumeStep {
  private readonly logger = new Logger('Messaging');
  private readonly prepared = new WeakMap<HandlerDefinition, Prepared>();

  constructor(private readonly stores: IdempotencyStores) {}

  forHandler(handler: HandlerDefinition): ConsumeStep | null {
    const options: IdempotentOptions<object> | undefined = handler.idempotent;
    if (!options) return null;
    this.prepared.set(handler, {
      store: this.stores.get(options.store ?? 'database', handler.name),
      key: options.key,
      ttlMs: options.ttlMs ?? DEFAULT_TTL_MS,
    });
    return this;
  }

  async handle(delivery: Delivery, next: NextStep): Promise<void> {
    const { handler, context } = delivery;
    const prepared = this.prepared.get(handler);
    if (!prepared) throw new Error(`${handler.name} is not @Idempotent`);
    const key = prepared.key ? prepared.key(delivery.message as object) : context.messageId;
    if (typeof key !== 'string' || key === '') {
      throw new PermanentError(`The @Idempotent key of ${handler.name} is empty for message ${context.messageId}`);
    }
    const claim = { consumer: handler.queue, key, messageId: context.messageId, ttlMs: prepared.ttlMs };
    const result = await prepared.store.runOnce(claim, async (transaction) => {
      if (transaction !== undefined) bindTransaction(context, transaction);
      await next();
    });
    if (result === 'duplicate') {
      delivery.duplicate = true;
      this.logger.log({
        event: 'message.duplicate_skipped',
        queue: handler.queue,
        messageId: context.messageId,
        type: context.messageType,
        key,
        correlationId: context.correlationId,
        attempt: context.attempt,
      });
    }
  }
}
