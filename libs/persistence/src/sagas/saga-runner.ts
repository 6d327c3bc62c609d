// Moves one saga instance in a transaction: locks (or creates) its row, hands it to the work, saves it with a history
// entry. Used by the sagas' message handlers and by Sagas.start (an instance started from service code).
import { Injectable } from '@nestjs/common';
import { MessageScheduler } from '@app/messaging';
import { Optional } from '@nestjs/common';
import type { Transaction } from '../database/database';
import { Outbox } from '../outbox/outbox';
import { SagaInstance, type SagaCause } from './saga-instance';
import { SagaStore } from './saga-store';

/** What became of the message: it moved the instance, found none, or found it completed (nothing changed). */
export type SagaMove = 'moved' | 'missing' | 'completed';

@Injectable()
export class SagaRunner {
  constructor(
    private readonly store: SagaStore,
    private readonly outbox: Outbox,
    @Optional() private readonly scheduler?: MessageScheduler,
  ) {}

  async run<D extends object>(
    tx: Transaction,
    type: string,
    key: string,
    starts: boolean,
    cause: SagaCause,
    work: (instance: SagaInstance<D>) => Promise<void>,
  ): Promise<SagaMove> {
    let record;
    let created = false;
    if (starts) ({ record, created } = await this.store.lockOrCreate(tx, type, key));
    else record = await this.store.lock(tx, type, key);
    if (!record) return 'missing';
    if (record.completedAt !== null) return 'completed';
    const instance = new SagaInstance<D>(record, created, tx, { outbox: this.outbox, scheduler: this.scheduler }, cause);
    await work(instance);
    await this.store.save(instance);
    return 'moved';
  }
}
