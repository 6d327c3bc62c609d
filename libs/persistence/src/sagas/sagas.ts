// Sagas from service code: start an instance in a transaction of the caller's (an order and its saga in one commit),
// and read one back with its history.
import { Injectable, type Type } from '@nestjs/common';
import { MessagingConfigError, type SagaDetails } from '@app/messaging';
import type { Transaction } from '../database/database';
import type { SagaInstance } from './saga-instance';
import { SagaRunner } from './saga-runner';
import { SagaStore } from './saga-store';
import { SAGA_METADATA, type SagaOptions } from './saga.decorators';

@Injectable()
export class Sagas {
  constructor(
    private readonly runner: SagaRunner,
    private readonly store: SagaStore,
  ) {}

  /**
   * Starts (or, when it exists, moves) the instance of `saga` with `key` in `transaction`: `begin` sets its state and
   * data and may schedule its timeouts; it is saved, with a history entry, when `begin` returns.
   */
  async start<D extends object>(
    transaction: Transaction,
    saga: Type,
    key: string,
    begin: (instance: SagaInstance<D>) => void | Promise<void>,
    note?: { messageType?: string; messageId?: string },
  ): Promise<void> {
    await this.runner.run<D>(transaction, nameOf(saga), key, true, note ?? {}, async (instance) => {
      await begin(instance);
    });
  }

  /** The instance of `saga` with `key`, with its history; undefined when there is none. */
  find(saga: Type | string, key: string): Promise<SagaDetails | undefined> {
    return this.store.get(typeof saga === 'string' ? saga : nameOf(saga), key);
  }
}

function nameOf(saga: Type): string {
  const options = Reflect.getMetadata(SAGA_METADATA, saga) as SagaOptions | undefined;
  if (!options) throw new MessagingConfigError('saga', `${saga.name} is not decorated with @Saga`);
  return options.name;
}
