// The circuit breakers of a service, by name, as the application reports their state: shown in the admin console and,
// with MetricsModule, exported as the gauge circuit_breaker_state{circuit} (0 closed, 1 half-open, 2 open, 3 isolated).
import { Injectable, Optional } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { MessagingMetrics } from '../metrics/messaging-metrics';

export const CIRCUIT_STATES = ['closed', 'half-open', 'open', 'isolated'] as const;
export type CircuitState = (typeof CIRCUIT_STATES)[number];

export interface CircuitReport {
  name: string;
  state: CircuitState;
  /** When it took this state (ISO 8601): the last report of a change, or its registration. */
  since: string;
}

/** What an application holds to report one circuit. */
export interface CircuitHandle {
  readonly name: string;
  /** Reports the circuit's state (call it from the breaker's state-change event); the same state again changes nothing. */
  set(state: CircuitState): void;
}

@Injectable()
export class CircuitRegistry {
  private readonly circuits = new Map<string, { state: CircuitState; since: Date }>();

  constructor(@Optional() metrics?: MessagingMetrics) {
    if (!metrics) return;
    const circuits = this.circuits;
    new Gauge({
      name: 'circuit_breaker_state',
      help: 'State of a circuit breaker: 0 closed, 1 half-open, 2 open, 3 isolated',
      labelNames: ['circuit'] as const,
      registers: [metrics.registry],
      collect() {
        for (const [circuit, { state }] of circuits) this.set({ circuit }, CIRCUIT_STATES.indexOf(state));
      },
    });
  }

  /** Registers a circuit (closed unless told otherwise). Throws for a name already registered. */
  register(name: string, initial: CircuitState = 'closed'): CircuitHandle {
    if (typeof name !== 'string' || name.length === 0) throw new TypeError('A circuit needs a name');
    if (this.circuits.has(name)) throw new Error(`Circuit "${name}" is already registered`);
    const entry = { state: checked(initial), since: new Date() };
    this.circuits.set(name, entry);
    return {
      name,
      set: (state) => {
        if (checked(state) === entry.state) return;
        entry.state = state;
        entry.since = new Date();
      },
    };
  }

  /** Every registered circuit, by name. */
  list(): CircuitReport[] {
    return [...this.circuits.entries()]
      .map(([name, { state, since }]) => ({ name, state, since: since.toISOString() }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }
}

function checked(state: CircuitState): CircuitState {
  if (!CIRCUIT_STATES.includes(state)) {
    throw new TypeError(`A circuit's state is one of ${CIRCUIT_STATES.join(', ')}, got "${String(state)}"`);
  }
  return state;
}
