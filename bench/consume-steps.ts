// Bench tool: what each step of the library's consume path costs on its own, in µs per message, on this machine and
// in one process (no broker): the steps the --cpu-prof profile of `npm run bench` points at, measured one at a time.
//   node -r ./test/support/register-ts.js bench/consume-steps.ts [--iterations 50000]
// Two figures need care: the AsyncLocalStorage line is what every await of the process costs more once any
// AsyncLocalStorage has been used (Node 20 then runs promise hooks), and the steps are measured warm, without GC
// pressure from the rest of the path, so they add up to less than the profile's total.
import 'reflect-metadata';
import type { ConsumeMessage } from 'amqplib';
import { plainToInstance } from 'class-transformer';
import { validate, validateSync } from 'class-validator';
import { parseArgs } from 'node:util';
import { MessageContext } from '../libs/messaging/src/consuming/message-context';
import { decodeBody } from '../libs/messaging/src/consuming/decode-body';
import { runWithCorrelation } from '../libs/messaging/src/correlation/correlation-context';
import { traceConsume } from '../libs/messaging/src/tracing/message-tracing';
import { validateMessage } from '../libs/messaging-core/src/validation/validate-message';
import { MessagingMetrics } from '../libs/service-kit/src/metrics/messaging-metrics';
import { BENCH_QUEUE, BenchEvent, benchWireMessage } from './support/bench-message';

const VALIDATOR_OPTIONS = {
  whitelist: true,
  forbidNonWhitelisted: false,
  forbidUnknownValues: false,
  validationError: { target: false, value: false },
};

/** A delivery as amqplib hands it over, with the library's envelope. */
function delivery(seq: number): ConsumeMessage {
  const wire = benchWireMessage('fill', seq, Date.now(), `m-${seq}`);
  return {
    content: wire.content,
    fields: { deliveryTag: seq, redelivered: false, exchange: wire.exchange, routingKey: wire.routingKey, consumerTag: 'c' },
    properties: { ...wire.options, headers: wire.options.headers ?? {} },
  } as unknown as ConsumeMessage;
}

async function measure(label: string, iterations: number, step: (i: number) => unknown): Promise<number> {
  for (let i = 0; i < Math.min(5000, iterations); i++) await step(i); // warm-up: let V8 optimise
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await step(i);
  const us = Number(process.hrtime.bigint() - started) / 1000 / iterations;
  console.log(`  ${us.toFixed(2).padStart(7)} µs  ${label}`);
  return us;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { iterations: { type: 'string', default: '50000' } } });
  const n = Number(values.iterations);
  const raws = Array.from({ length: 1000 }, (_, i) => delivery(i));
  const raw = (i: number): ConsumeMessage => raws[i % raws.length];
  const bodies = raws.map((r) => JSON.parse(r.content.toString('utf8')) as object);
  const body = (i: number): object => ({ ...bodies[i % bodies.length] });
  const metrics = new MessagingMetrics();
  const acked = metrics.acked.labels({ queue: BENCH_QUEUE, type: BenchEvent.messageType });
  const chain = async (): Promise<void> => {
    for (let k = 0; k < 10; k++) await Promise.resolve();
  };
  // eslint-disable-next-line @typescript-eslint/require-await -- what is measured is an async handler with nothing in it
  const emptyAsyncHandler = async (): Promise<undefined> => undefined;

  console.log(`consume path steps, ${n} iterations each (µs per message):`);
  await measure('an await chain of 10 (baseline: the cost of promises before any AsyncLocalStorage)', n, chain);
  await measure('JSON.parse of the body (what the raw consumer does too)', n, (i) => JSON.parse(raw(i).content.toString('utf8')));
  await measure('decodeBody (content type, size checks + JSON.parse)', n, (i) => decodeBody(raw(i), 1 << 20));
  await measure('new MessageContext', n, (i) => new MessageContext(raw(i), BENCH_QUEUE, 'Handler.handle'));
  await measure('plainToInstance (class-transformer)', n, (i) => plainToInstance(BenchEvent, body(i)));
  await measure('validate, async (class-validator, as the library calls it)', n, (i) =>
    validate(plainToInstance(BenchEvent, body(i)), VALIDATOR_OPTIONS),
  );
  await measure('validateSync (class-validator), same checks', n, (i) =>
    validateSync(plainToInstance(BenchEvent, body(i)), VALIDATOR_OPTIONS),
  );
  await measure("validateMessage (the library's validation pipe step)", n, (i) =>
    validateMessage(BenchEvent, body(i), { unknownFields: 'strip' }),
  );
  await measure('metrics: consumed.inc + acked.inc + handlerDuration.observe, labels by object', n, () => {
    metrics.consumed.inc({ queue: BENCH_QUEUE, type: BenchEvent.messageType });
    metrics.consumeOutcome(BENCH_QUEUE, BenchEvent.messageType, 'ack', 0.001);
  });
  await measure('metrics: the same counter with its label child bound once (.labels(...).inc())', n, () => acked.inc());
  await measure('traceConsume around an empty handler (no OpenTelemetry SDK registered)', n, (i) =>
    traceConsume(raw(i), BENCH_QUEUE, 'c', emptyAsyncHandler),
  );
  await measure('runWithCorrelation around an empty async handler', n, (i) =>
    runWithCorrelation({ correlationId: String(i) }, emptyAsyncHandler),
  );
  await measure('the same await chain of 10, now that AsyncLocalStorage is in use (promise hooks on)', n, chain);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
