// Bench: how late scheduled messages come (MessageScheduler end to end: the delay ladder, the service's scheduled queue
// and its relay, then the handler). Schedules N messages with random delays and reports lateness = handled - due.
//   node -r ./test/support/register-ts.js bench/schedule-lateness.ts [--count N] [--max-delay S]
// Not part of `npm run bench` (run it alone); it makes a vhost of its own and deletes it at the end.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { IsInt } from 'class-validator';
import {
  ConsumerSupervisor,
  MessageContext,
  MessageHandler,
  MessageHeaders,
  MessageScheduler,
  MessagingModule,
  ScheduledMessageRelay,
  SchedulingModule,
} from '../libs/messaging/src';
import { rabbitmqctl } from '../test/support/test-broker';

class Tick {
  static readonly messageType = 'bench.tick';
  static readonly schemaVersion = 1;
  @IsInt() n!: number;
}

@Injectable()
class Ticks {
  readonly latenessMs: number[] = [];
  early = 0;

  @MessageHandler(Tick, { prefetch: 500 })
  onTick(_tick: Tick, context: MessageContext): void {
    const due = Date.parse(String(context.headers[MessageHeaders.scheduledFor]));
    const late = Date.now() - due;
    if (late < 0) this.early++;
    this.latenessMs.push(late);
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { count: { type: 'string', default: '2000' }, 'max-delay': { type: 'string', default: '20' } } });
  const count = Number(values.count);
  const maxDelayMs = Number(values['max-delay']) * 1000;
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(maxDelayMs) || maxDelayMs < 1000) {
    throw new Error('--count must be a positive integer and --max-delay a whole number of seconds >= 1');
  }
  const vhost = `bench-schedule-${randomBytes(4).toString('hex')}`;
  await rabbitmqctl('add_vhost', vhost);
  let app: INestApplication | undefined;
  try {
    await rabbitmqctl('set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*');
    const url = `amqp://guest:guest@${process.env.AMQP_HOST ?? '127.0.0.1'}:${process.env.AMQP_PORT ?? '5672'}/${encodeURIComponent(vhost)}`;
    const moduleRef = await Test.createTestingModule({
      imports: [MessagingModule.forRoot({ url, serviceName: 'bench', delay: 'ladder' }), SchedulingModule.forRoot({ prefetch: 500 })],
      providers: [Ticks],
    }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    await app.init();
    await app.get(ConsumerSupervisor).waitUntilReady();
    await app.get(ScheduledMessageRelay).waitUntilReady();
    const scheduler = app.get(MessageScheduler);
    const ticks = app.get(Ticks);
    for (let n = 0; n < count; n += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, count - n) }, (_, i) =>
          scheduler.schedule(Tick, { n: n + i }, { delayMs: 1000 + Math.floor(Math.random() * (maxDelayMs - 1000)) }),
        ),
      );
    }
    const deadline = Date.now() + maxDelayMs + 60_000;
    while (ticks.latenessMs.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    const sorted = [...ticks.latenessMs].sort((a, b) => a - b);
    const report = {
      count,
      arrived: sorted.length,
      early: ticks.early,
      latenessMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) },
    };
    console.log(JSON.stringify(report, null, 2));
    process.exitCode = report.arrived === count && report.early === 0 ? 0 : 1;
  } finally {
    await app?.close();
    await rabbitmqctl('delete_vhost', vhost).catch(() => undefined);
  }
}

void main();
