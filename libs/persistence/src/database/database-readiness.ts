// Readiness of the service's database: its monitor has it up (connected and migrated), and it answers a trivial
// query within 2 s. Down, it says why ("database" in GET /health/ready), without waiting for a query to fail again.
import { Inject, Injectable } from '@nestjs/common';
import { DependencyMonitor, errorMessage, ReadinessCheck, type ReadinessCheckable, type ReadinessResult } from '@app/messaging';
import { DATABASE, DATABASE_AVAILABILITY } from '../persistence.constants';
import type { DatabaseHandle } from './database';

const PING_TIMEOUT_MS = 2000;

@Injectable()
@ReadinessCheck('database')
export class DatabaseReadiness implements ReadinessCheckable {
  constructor(
    @Inject(DATABASE) private readonly db: DatabaseHandle,
    @Inject(DATABASE_AVAILABILITY) private readonly monitor: DependencyMonitor,
  ) {}

  async checkReadiness(): Promise<ReadinessResult> {
    const { kind } = this.db;
    const status = this.monitor.status;
    if (!status.up) {
      return {
        up: false,
        details: {
          kind,
          message: `${status.everUp ? 'unavailable' : 'not reached yet'}: ${status.reason ?? 'unknown'}`,
          ...(status.configurationError ? { configurationError: true } : {}),
          since: status.since.toISOString(),
        },
      };
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.db.ping(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
        }),
      ]);
      return { up: true, details: { kind } };
    } catch (error) {
      // The monitor looks again at once (also after no answer in time): consumers pause if the database is really gone.
      this.monitor.reportFailure(error);
      return { up: false, details: { kind, message: errorMessage(error) } };
    } finally {
      clearTimeout(timer);
    }
  }
}
