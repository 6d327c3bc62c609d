// What the admin console shows of a service at a glance: its queues (passive checks on the broker, rates and latency
// from the library's metrics), the outbox backlog, its circuit breakers and its sagas in flight.
import { Inject, Injectable, Optional } from '@nestjs/common';
import { AmqpConnection, DeadLetterEditor, MESSAGING_OPTIONS, type ResolvedMessagingOptions, type SagaInFlight } from '@app/messaging';
import { CircuitRegistry, type CircuitReport } from '../../circuits/circuit-registry';
import { MessagingMetrics } from '../../metrics/messaging-metrics';
import { MetricsWindow, queueActivity, readSnapshot, type QueueActivity } from './metrics-window';

export interface QueueView extends Partial<QueueActivity> {
  queue: string;
  deadLetterQueue: string;
  messageType: string;
  handler: string;
  /** Messages ready in the queue; undefined when the broker could not be asked. */
  ready?: number;
  consumers?: number;
  deadLetters?: number;
  /** Why the numbers from the broker are missing. */
  problem?: string;
}

/** A part of the overview that someone may or may not report, and that may fail to be read. */
export type Reported<T> = { reported: false; how: string } | ({ reported: true } & T) | { reported: true; problem: string };

export interface ConsoleOverview {
  service: string;
  generatedAt: string;
  brokerConnected: boolean;
  /** Seconds the rates and latencies are measured over; undefined without MetricsModule. */
  rateWindowSeconds?: number;
  queues: QueueView[];
  outbox: Reported<{ pending: number; oldestAgeSeconds: number }>;
  circuits: Reported<{ circuits: CircuitReport[] }>;
  sagas: Reported<{ total: number; sagas: SagaInFlight[] }>;
}

/** Sagas listed at most. */
const SAGAS_SHOWN = 50;

@Injectable()
export class ConsoleOverviewService {
  private readonly window = new MetricsWindow();

  constructor(
    private readonly connection: AmqpConnection,
    private readonly editor: DeadLetterEditor,
    @Inject(MESSAGING_OPTIONS) private readonly options: ResolvedMessagingOptions,
    @Optional() private readonly metrics?: MessagingMetrics,
    @Optional() private readonly circuits?: CircuitRegistry,
  ) {}

  async overview(): Promise<ConsoleOverview> {
    const [queues, rates, outbox, sagas] = await Promise.all([this.queues(), this.rates(), this.outbox(), this.sagas()]);
    return {
      service: this.options.serviceName,
      generatedAt: new Date().toISOString(),
      brokerConnected: this.connection.isConnected(),
      rateWindowSeconds: rates?.windowSeconds,
      queues: queues.map((queue) => ({ ...queue, ...rates?.activity(queue.queue, queue.messageType) })),
      outbox,
      circuits: this.circuits
        ? { reported: true, circuits: this.circuits.list() }
        : { reported: false, how: 'CircuitRegistry (CircuitsModule, part of ServiceKitModule) is not imported' },
      sagas,
    };
  }

  /** Each handler queue with its depth, consumers and dead letters: one short-lived channel per queue, so one missing queue spoils only its own row. */
  private async queues(): Promise<QueueView[]> {
    const handlers = this.editor.handlers();
    return Promise.all(
      handlers.map(async (handler): Promise<QueueView> => {
        const view: QueueView = {
          queue: handler.queue,
          deadLetterQueue: handler.deadLetterQueue,
          messageType: handler.messageType,
          handler: handler.handler,
        };
        if (!this.connection.isConnected()) return { ...view, problem: 'not connected to the broker' };
        try {
          const [queue, deadLetters] = await this.connection.withTemporaryChannel(async (channel) => [
            await channel.checkQueue(handler.queue),
            await channel.checkQueue(handler.deadLetterQueue),
          ]);
          return { ...view, ready: queue.messageCount, consumers: queue.consumerCount, deadLetters: deadLetters.messageCount };
        } catch (error) {
          const notFound = (error as { code?: unknown }).code === 404;
          return { ...view, problem: notFound ? 'queue not declared yet' : `broker: ${(error as Error).message}` };
        }
      }),
    );
  }

  private async rates(): Promise<
    { windowSeconds: number; activity: (queue: string, messageType: string) => QueueActivity | undefined } | undefined
  > {
    if (!this.metrics) return undefined;
    const latest = await readSnapshot(this.metrics);
    const base = this.window.add(latest);
    return {
      windowSeconds: Math.round((latest.at - base.at) / 1000),
      activity: (queue, messageType) => queueActivity(base, latest, queue, messageType),
    };
  }

  private async outbox(): Promise<ConsoleOverview['outbox']> {
    const sample = this.metrics?.sampler('outboxPending');
    if (!sample) return { reported: false, how: 'no outbox here (DatabaseModule with its relay reports it, through MetricsModule)' };
    try {
      const { count, oldestAgeMs } = await sample();
      return { reported: true, pending: count, oldestAgeSeconds: oldestAgeMs / 1000 };
    } catch (error) {
      return { reported: true, problem: (error as Error).message };
    }
  }

  private async sagas(): Promise<ConsoleOverview['sagas']> {
    const sample = this.metrics?.sampler('sagasInFlight');
    if (!sample) {
      return { reported: false, how: "no saga store reports here (a saga store sets the instrumentation's sagasInFlight sampler)" };
    }
    try {
      return { reported: true, ...(await sample(SAGAS_SHOWN)) };
    } catch (error) {
      return { reported: true, problem: (error as Error).message };
    }
  }
}
