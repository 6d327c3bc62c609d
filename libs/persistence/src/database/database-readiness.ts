// Readiness of the service's database: it answers a trivial query within 2 s.
import { Inject, Injectable } from '@nestjs/common';
import { ReadinessCheck, type ReadinessCheckable, type ReadinessResult } from '@app/messaging';
import { DATABASE } from '../persistence.constants';
import type { DatabaseHandle } from './database';

const PING_TIMEOUT_MS = 2000;

@Injectable()
@ReadinessCheck('database')
export class DatabaseReadiness implements ReadinessCheckable {
  constructor(@Inject(DATABASE) private readonly db: DatabaseHandle) {}

  async checkReadiness(): Promise<ReadinessResult> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.db.ping(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
        }),
      ]);
      return { up: true, details: { kind: this.db.kind } };
    } catch (error) {
      return { up: false, details: { kind: this.db.kind, message: error instanceof Error ? error.message : String(error) } };
    } finally {
      clearTimeout(timer);
    }
  }
}
