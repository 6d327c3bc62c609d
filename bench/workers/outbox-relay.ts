// Bench worker: the transactional outbox relay draining BENCH_COUNT pending rows (batchSize BENCH_BATCH) from
// PostgreSQL to the broker. The rows are written first, untimed, in one statement: copies of a message validated and
// enveloped by MessagePublisher.prepare (what outbox.add stores), each with its own message id.
// Timed until every row is sent, or for BENCH_SECONDS.
//   AMQP_URL, BENCH_DATABASE_URL, BENCH_COUNT, BENCH_BATCH, BENCH_SECONDS, BENCH_RUN
import 'reflect-metadata';
import { APP_OPTIONS, benchLogging, useBenchLogger } from '../support/production-features';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { isNull, sql } from 'drizzle-orm';
import { MessagePublisher, MessagingModule } from '@app/messaging';
import { DATABASE, DatabaseModule, OutboxRelay, outboxTable, type DatabaseHandle } from '@app/persistence';
import { MetricsModule } from '@app/service-kit';
import { BENCH_SERVICE, BenchEvent, benchBody } from '../support/bench-message';
import { epochNowMs, monotonicUs } from '../support/consume-recorder';
import * as link from '../support/worker-link';

/** The relay publishes a batch at a time; a few ms between looks at its counter cost nothing it would notice. */
const POLL_MS = 2;

@Module({
  imports: [
    ...benchLogging(),
    MetricsModule,
    // The relay is started by hand once the rows are in, so that only the draining is timed.
    DatabaseModule.forRoot({
      serviceName: BENCH_SERVICE,
      url: String(process.env.BENCH_DATABASE_URL),
      outbox: { relay: false, batchSize: Number(process.env.BENCH_BATCH) },
    }),
    MessagingModule.forRoot({
      url: String(process.env.AMQP_URL),
      serviceName: BENCH_SERVICE,
      consume: false,
      delay: 'ladder',
    }),
  ],
})
class OutboxRelayModule {}

async function main(): Promise<void> {
  const count = Number(process.env.BENCH_COUNT);
  const run = String(process.env.BENCH_RUN);
  await link.loaded();
  const app = await NestFactory.createApplicationContext(OutboxRelayModule, APP_OPTIONS);
  useBenchLogger(app);
  const relay = app.get(OutboxRelay);
  link.onStop(async () => {
    await relay.stop();
    await app.close();
  });
  const publisher = app.get(MessagePublisher);
  const phases = timePhases(relay, publisher);
  const { db } = app.get<DatabaseHandle>(DATABASE);
  const message = await publisher.prepare(BenchEvent, benchBody('fill', 0, epochNowMs()), { messageId: `${run}-0` });
  const column = (name: keyof typeof outboxTable.$inferInsert) => sql.identifier(outboxTable[name].name);
  const messageId = sql`${run}::text || '-' || i::text`;
  await db.execute(sql`
    insert into ${outboxTable} (${column('messageId')}, ${column('messageType')}, ${column('exchange')}, ${column('routingKey')}, ${column('content')}, ${column('properties')})
    select ${messageId}, ${message.properties.type}, ${message.exchange}, ${message.routingKey}, ${message.content.toString('utf8')},
           jsonb_set(${JSON.stringify(message.properties)}::jsonb, '{messageId}', to_jsonb(${messageId}))
    from generate_series(0, ${count - 1}) as i`);
  // Statistics as autovacuum would have them for a backlog that built up over a minute or more. Without them the planner
  // expects a few pending rows and sorts the whole backlog for every batch (see README, "What bounds each figure").
  await db.execute(sql`analyze ${outboxTable}`);
  link.emit('ready', link.memory());

  const windowStart = monotonicUs();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const until = started + Number(process.env.BENCH_SECONDS) * 1000;
  relay.start();
  while (relay.published < count && performance.now() < until) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  // At the time limit, the batch in progress is finished and counted.
  if (relay.published < count) await relay.stop();
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const windowUs = [windowStart, monotonicUs()];
  await relay.stop();
  const published = relay.published;
  const pending = await db.$count(outboxTable, isNull(outboxTable.sentAt));
  link.emit('publish-done', {
    count: published,
    ms,
    nacked: 0,
    pending,
    phases: phases.report(),
    perSecond: Math.round((published / ms) * 1000),
    cpuUsPerMessage: (used.user + used.system) / published,
    windowUs,
    ...link.memory(),
  });
}

/**
 * Splits the relay's time between publishing (first send of a batch to its last confirm) and the rest of the batch
 * (select, lock, mark sent, commit), by wrapping the two instances' methods: the library's code is left as it is.
 */
function timePhases(relay: OutboxRelay, publisher: MessagePublisher) {
  let batches = 0;
  let batchMs = 0;
  let publishMs = 0;
  let firstSend: number | undefined;
  let lastConfirm = 0;
  const relayOnce = relay.relayOnce.bind(relay);
  relay.relayOnce = async () => {
    const started = performance.now();
    firstSend = undefined;
    const rows = await relayOnce();
    if (rows > 0) {
      batches++;
      batchMs += performance.now() - started;
      if (firstSend !== undefined) publishMs += lastConfirm - firstSend;
    }
    return rows;
  };
  const send = publisher.send.bind(publisher);
  publisher.send = async (...args: Parameters<MessagePublisher['send']>) => {
    firstSend ??= performance.now();
    await send(...args);
    lastConfirm = performance.now();
  };
  const round = (ms: number): number => Math.round(ms * 10) / 10;
  return {
    report: () => ({
      batches,
      msPerBatch: round(batchMs / batches),
      publishMsPerBatch: round(publishMs / batches),
      otherMsPerBatch: round((batchMs - publishMs) / batches),
    }),
  };
}

main().catch(link.fail);
