// Health indicators for an orchestrator: the broker connection, the consumers, the database, and shutdown.
import { Inject, Injectable, Optional, type OnModuleDestroy } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { AmqpConnection } from '../connection/amqp-connection';
import { MessageHandlerRegistry } from '../consuming/message-handler-registry';
import type { DatabaseHandle } from '../persistence/database';
import { DATABASE } from '../persistence/database.module';

@Injectable()
export class MessagingHealth implements OnModuleDestroy {
  private shuttingDown = false;

  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly connection: AmqpConnection,
    private readonly registry: MessageHandlerRegistry,
    @Optional() @Inject(DATABASE) private readonly db?: DatabaseHandle,
  ) {}

  // The first shutdown hook Nest calls: readiness turns false before consumers drain and the server closes.
  onModuleDestroy(): void {
    this.shuttingDown = true;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  lifecycle(): HealthIndicatorResult {
    const check = this.indicators.check('lifecycle');
    return this.shuttingDown ? check.down({ message: 'shutting down' }) : check.up();
  }

  broker(): HealthIndicatorResult {
    const check = this.indicators.check('broker');
    return this.connection.isConnected() ? check.up() : check.down({ message: 'not connected to RabbitMQ' });
  }

  consumers(): HealthIndicatorResult {
    const check = this.indicators.check('consumers');
    const queues = this.registry.queues;
    return this.registry.isConsuming ? check.up({ queues }) : check.down({ message: 'consumers are not running', queues });
  }

  async database(): Promise<HealthIndicatorResult> {
    const check = this.indicators.check('database');
    if (!this.db) return check.up({ message: 'no database configured' });
    try {
      await withTimeout(this.db.ping(), 2000);
      return check.up({ kind: this.db.kind });
    } catch (error) {
      return check.down({ kind: this.db.kind, message: error instanceof Error ? error.message : String(error) });
    }
  }
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
