// The small service the chaos suite runs as real processes: a consumer (an ordered handler and a plain one, both
// @Idempotent on PostgreSQL, each writing one effect row per message) or an outbox relay. Connects to the cluster from
// AMQP_URL (a list), prints READY once consuming, and lives until it is stopped or killed. Also the suite's producer
// module (publisher and outbox, no consumers, no relay).
import 'reflect-metadata';
import { ConsoleLogger, Inject, Injectable, Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IsInt, IsString } from 'class-validator';
import { sql } from 'drizzle-orm';
import { ConsumerSupervisor, Idempotent, MessageContext, MessageHandler, MessagingModule } from '@app/messaging';
import { DatabaseModule } from '@app/persistence';

/** An ordered event: the steps of one key are handled in publish order by whichever instance holds its partition. */
export class ChaosStep {
  static readonly messageType = 'chaos.step';
  static readonly schemaVersion = 1;
  static readonly orderingKey = 'key';
  @IsString() scenario!: string;
  @IsString() key!: string;
  @IsInt() seq!: number;
}

/** A plain event: competing consumers, any order. */
export class ChaosTick {
  static readonly messageType = 'chaos.tick';
  static readonly schemaVersion = 1;
  @IsString() scenario!: string;
  @IsString() key!: string;
  @IsInt() seq!: number;
}

export const SERVICE = 'chaos';
export const PARTITIONS = 6;
/** The effects: one row per handling whose transaction committed (the inbox mark commits with it). */
export const EFFECTS_DDL = `create table if not exists chaos_effects (
  id bigserial primary key, scenario text not null, kind text not null, key text not null, seq integer not null,
  message_id text not null, instance text not null, at timestamptz not null default clock_timestamp())`;

const INSTANCE = Symbol('INSTANCE');

@Injectable()
class ChaosHandlers {
  constructor(@Inject(INSTANCE) private readonly instance: string) {}

  @MessageHandler(ChaosStep, { ordered: { partitions: PARTITIONS }, prefetch: 20 })
  @Idempotent()
  async onStep(step: ChaosStep, context: MessageContext): Promise<void> {
    await this.effect('step', step, context);
  }

  @MessageHandler(ChaosTick, { prefetch: 20 })
  @Idempotent()
  async onTick(tick: ChaosTick, context: MessageContext): Promise<void> {
    await this.effect('tick', tick, context);
  }

  private async effect(kind: string, message: ChaosStep | ChaosTick, context: MessageContext): Promise<void> {
    await context.transaction.execute(
      sql`insert into chaos_effects (scenario, kind, key, seq, message_id, instance)
          values (${message.scenario}, ${kind}, ${message.key}, ${message.seq}, ${context.messageId}, ${this.instance})`,
    );
  }
}

export type ChaosRole = 'consumer' | 'relay' | 'producer';

export interface ChaosServiceOptions {
  role: ChaosRole;
  amqpUrl: string;
  databaseUrl: string;
  instance: string;
}

function messaging(options: ChaosServiceOptions): DynamicModule {
  return MessagingModule.forRoot({
    url: options.amqpUrl,
    serviceName: SERVICE,
    consume: options.role === 'consumer',
    delay: 'ladder',
    quorum: { initialGroupSize: 3 },
    // A whole cluster restart takes a while: a publish waits for it rather than fail.
    publishTimeoutMs: 180_000,
    reconnect: { initialDelayMs: 100, maxDelayMs: 1000 },
    shutdownTimeoutMs: 5000,
  });
}

/** The module of one role. */
export function chaosModule(options: ChaosServiceOptions): ModuleMetadata {
  return {
    imports: [
      DatabaseModule.forRoot({
        serviceName: SERVICE,
        url: options.databaseUrl,
        poolSize: 4,
        // Quick polls so that the relay scenario converges fast; one batch at a time keeps a kill mid-batch likely.
        outbox: { relay: options.role === 'relay', batchSize: 50, pollIntervalMs: 20 },
      }),
      messaging(options),
    ],
    providers: options.role === 'consumer' ? [ChaosHandlers, { provide: INSTANCE, useValue: options.instance }] : [],
  };
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

async function main(): Promise<void> {
  const role = required('CHAOS_ROLE') as ChaosRole;
  const metadata = chaosModule({
    role,
    amqpUrl: required('AMQP_URL'),
    databaseUrl: required('DATABASE_URL'),
    instance: required('CHAOS_INSTANCE'),
  });
  @Module(metadata)
  class ChaosServiceModule {}
  const app = await NestFactory.createApplicationContext(ChaosServiceModule, {
    // One JSON line per event: the suite reads the partition moves from them.
    logger: new ConsoleLogger({ json: true, logLevels: ['log', 'error', 'warn'] }),
  });
  app.enableShutdownHooks();
  if (role === 'consumer') await app.get(ConsumerSupervisor).waitUntilReady(120_000);
  process.stdout.write('READY\n');
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
