// Bench: the one message every contender handles (~200 bytes of JSON, persistent), the queue it lives in, and the
// envelope the library itself would put on it, so that raw and framework consumers see the very same bytes.
import { randomUUID } from 'node:crypto';
import { IsIn, IsInt, IsNumber, IsString, IsUUID, Length, Min } from 'class-validator';
import { buildOutgoingMessage, type OutgoingMessage } from '../../libs/messaging/src/publishing/outgoing-message';
import { TopologyNames } from '../../libs/messaging/src/topology/topology-names';

export type BenchPhase = 'fill' | 'latency';

/** A realistic domain event: a handful of fields of the usual kinds, each with a validator. */
export class BenchEvent {
  static readonly messageType = 'bench.event';
  static readonly schemaVersion = 1;

  @IsIn(['fill', 'latency']) phase!: BenchPhase;
  @IsInt() @Min(0) seq!: number;
  /** Publish time, ms since the epoch with sub-ms resolution (see epochNowMs). */
  @IsNumber() sentAt!: number;
  @IsUUID() orderId!: string;
  @IsString() customerId!: string;
  @IsInt() @Min(0) amountCents!: number;
  @IsString() @Length(3, 3) currency!: string;
  @IsString() note!: string;
}

/** The service name of every bench application: queues are `bench.<type>`, as the library names them. */
export const BENCH_SERVICE = 'bench';
export const BENCH_NAMES = new TopologyNames('domain.events', BENCH_SERVICE);
/** The one queue every consumer under test reads, and every publisher under test fills. */
export const BENCH_QUEUE = BENCH_NAMES.handlerQueue(BenchEvent.messageType);
/** What the handler queue's x-delivery-limit is when the library declares it (maxRedeliveries default 10, + 2). */
export const BENCH_DELIVERY_LIMIT = 12;
export const BENCH_BODY_BYTES = 200;

const ORDER_ID = randomUUID();

/** A body of about BENCH_BODY_BYTES bytes (the note pads it; seq and sentAt vary by a few digits). */
export function benchBody(phase: BenchPhase, seq: number, sentAt: number): BenchEvent {
  const body = {
    phase,
    seq,
    sentAt,
    orderId: ORDER_ID,
    customerId: `customer-${seq % 1000}`,
    amountCents: 1000 + (seq % 9000),
    currency: 'EUR',
    note: '',
  };
  const padding = Math.max(0, BENCH_BODY_BYTES - Buffer.byteLength(JSON.stringify(body)));
  return Object.assign(new BenchEvent(), body, { note: 'x'.repeat(padding) });
}

/** The request of the request/reply scenarios: a sequence number and ~100 bytes; the reply is `{ seq }`. */
export class BenchRequest {
  static readonly messageType = 'bench.request';
  static readonly schemaVersion = 1;

  @IsInt() @Min(0) seq!: number;
  @IsString() note!: string;
}

export function benchRequest(seq: number): { seq: number; note: string } {
  return { seq, note: 'x'.repeat(90) };
}

/** The queue each request/reply contender's responder reads (the library's: `bench.bench.request`, by its type). */
export const BENCH_REQUEST_QUEUES = {
  library: BENCH_NAMES.handlerQueue(BenchRequest.messageType),
  raw: 'bench.requests.raw',
  nest: 'bench.requests.nest',
} as const;

export interface WireMessage {
  exchange: string;
  routingKey: string;
  content: Buffer;
  options: OutgoingMessage['properties'];
}

/** The body as the library's publisher would send it (same properties and headers), with a chosen message id. */
export function benchWireMessage(phase: BenchPhase, seq: number, sentAt: number, messageId: string): WireMessage {
  const outgoing = buildOutgoingMessage(BenchEvent, benchBody(phase, seq, sentAt), BENCH_NAMES.eventsExchange, BENCH_SERVICE, {
    messageId,
  });
  return { exchange: outgoing.exchange, routingKey: outgoing.routingKey, content: outgoing.content, options: outgoing.properties };
}
