// Bench tool: what each step of the library's consume path costs on its own, in µs per message, in one process and
// without a broker, with OpenTelemetry's SDK registered as a production service has it (production-features.ts).
//   node -r ./test/support/register-ts.js bench/consume-steps.ts [--trials 30] [--iterations 20000]
// Each figure is the best of --trials timings of --iterations calls: on a shared 2-core machine the mean moves with
// whatever else runs, the best much less. They are measured warm and alone, without the garbage the rest of the path
// makes, so they add up to less than a worker's CPU per message; `npm run bench -- --cpu-prof` gives the whole.
import '../bench/support/production-features';
import 'reflect-metadata';
import type { ConsumeMessage } from 'amqplib';
import { parseArgs } from 'node:util';
import { AckBatcher } from '../libs/messaging/src/consuming/ack-batcher';
import { decodeBody } from '../libs/messaging/src/consuming/decode-body';
import { Delivery } from '../libs/messaging/src/consuming/delivery';
import { MessageContext } from '../libs/messaging/src/consuming/message-context';
import { runWithCorrelation } from '../libs/messaging/src/correlation/correlation-context';
import { traceConsume } from '../libs/messaging/src/tracing/message-tracing';
import { checkMessage } from '../libs/messaging-core/src/validation/validate-message';
import { MessagingMetrics } from '../libs/service-kit/src/metrics/messaging-metrics';
import { BENCH_QUEUE, BenchEvent, benchWireMessage } from './support/bench-message';

/** A delivery as amqplib hands it over, with the library's envelope. */
function delivery(seq: number): ConsumeMessage {
  const wire = benchWireMessage('fill', seq, Date.now(), `m-${seq}`);
  return {
    content: wire.content,
    fields: { deliveryTag: seq + 1, redelivered: false, exchange: wire.exchange, routingKey: wire.routingKey, consumerTag: 'c' },
    properties: { ...wire.options, headers: wire.options.headers ?? {} },
  } as unknown as ConsumeMessage;
}

function main(): void {
  const { values } = parseArgs({
    options: { trials: { type: 'string', default: '30' }, iterations: { type: 'string', default: '20000' } },
  });
  const trials = Number(values.trials);
  const n = Number(values.iterations);
  const measure = (label: string, step: (i: number) => unknown): void => {
    let best = Infinity;
    for (let trial = 0; trial < trials; trial++) {
      const started = process.hrtime.bigint();
      for (let i = 0; i < n; i++) step(i);
      best = Math.min(best, Number(process.hrtime.bigint() - started) / 1000 / n);
    }
    console.log(`  ${best.toFixed(2).padStart(6)} µs  ${label}`);
  };

  const raws = Array.from({ length: 1000 }, (_, i) => delivery(i));
  const raw = (i: number): ConsumeMessage => raws[i % raws.length];
  const bodies = raws.map((r) => JSON.parse(r.content.toString('utf8')) as object);
  const consumer = new MessagingMetrics().forConsumer(BENCH_QUEUE, BenchEvent.messageType);
  const handler = { queue: BENCH_QUEUE } as unknown as ConstructorParameters<typeof Delivery>[1];
  const acks = new AckBatcher({ ack: () => undefined }, () => undefined);
  const nothing = (): undefined => undefined;

  console.log(`consume path steps, best of ${trials} x ${n} calls (µs per message):`);
  measure('JSON.parse of the body (what the raw consumer does too)', (i) => JSON.parse(raw(i).content.toString('utf8')));
  measure('decode step: decodeBody (content type, input limits, JSON.parse)', (i) => decodeBody(raw(i), 1 << 20));
  measure('envelope: new MessageContext + Delivery (ids, owned headers)', (i) => {
    const context = new MessageContext(raw(i), BENCH_QUEUE, 'Handler.handle');
    return new Delivery(raw(i), handler, context, undefined as never, 0);
  });
  measure('validate step: checkMessage (the fast pass over class-validator metadata)', (i) =>
    checkMessage(BenchEvent, { ...bodies[i % bodies.length] }, { unknownFields: 'strip' }),
  );
  measure('  of which the copy of the body the measurement makes', (i) => ({ ...bodies[i % bodies.length] }));
  measure('trace step: traceConsume, a CONSUMER span made and dropped', (i) => traceConsume(raw(i), BENCH_QUEUE, 'c', nothing));
  measure('correlation step: runWithCorrelation', (i) => runWithCorrelation({ correlationId: 'c', causationId: String(i) }, nothing));
  measure('metrics: consumed + ack outcome (counts, duration histogram)', () => {
    consumer.consumed();
    consumer.outcome('ack', 0.001);
  });
  let tag = 0;
  measure('acks: received + ack, flushed every 10 deliveries', () => {
    const message = { fields: { deliveryTag: ++tag } } as ConsumeMessage;
    acks.received(message);
    acks.ack(message);
    if (tag % 10 === 0) acks.flush();
  });
}

main();
