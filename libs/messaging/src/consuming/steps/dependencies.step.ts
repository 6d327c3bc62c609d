// Step "dependencies" (handlers that need a dependency: the service's database, Redis for the redis store, those they
// list in dependsOn): a delivery that comes while one of them is down is not handled but deferred, and a handler that
// fails transiently because one went down during its run is deferred too. Deferred = given back without counting an
// attempt (DependencyUnavailableError, see decideOutcome): an outage uses up no retries and makes no dead letters.
// Consumers pause while a dependency is down, so this step only meets the deliveries already on their way.
import { Injectable } from '@nestjs/common';
import { DependencyUnavailableError, dependencyOutageOf } from '@app/messaging-core';
import { Dependencies } from '../../dependencies/dependencies';
import type { DependencyMonitor } from '../../dependencies/dependency-monitor';
import { classifyError } from '../../errors/classify-error';
import type { HandlerDefinition } from '../../handlers/handler-definition';
import type { ConsumeStep, NextStep } from '../consume-step';
import type { Delivery } from '../delivery';

@Injectable()
export class DependenciesStep implements ConsumeStep {
  private readonly prepared = new WeakMap<HandlerDefinition, DependencyMonitor[]>();

  constructor(private readonly dependencies: Dependencies) {}

  forHandler(handler: HandlerDefinition): ConsumeStep | null {
    const monitors = this.dependencies.forHandler(handler);
    if (monitors.length === 0) return null;
    this.prepared.set(handler, monitors);
    return this;
  }

  handle(delivery: Delivery, next: NextStep): void | Promise<void> {
    const monitors = this.prepared.get(delivery.handler) ?? [];
    const down = monitors.find((monitor) => !monitor.isUp);
    if (down) throw unavailable(down);
    let result: void | Promise<void>;
    try {
      result = next();
    } catch (error) {
      return this.failed(delivery, monitors, error);
    }
    if (!isThenable(result)) return result;
    return Promise.resolve(result).catch((error: unknown) => this.failed(delivery, monitors, error));
  }

  /** Rethrows `error`, as a DependencyUnavailableError when a dependency of the handler is down now. */
  private async failed(delivery: Delivery, monitors: DependencyMonitor[], error: unknown): Promise<never> {
    const outage = dependencyOutageOf(error);
    if (outage) {
      this.dependencies.get(outage.dependency)?.reportFailure(outage);
      throw error;
    }
    // A transient failure (a handler may catch the driver's error and throw its own) while a dependency is down is
    // taken for the outage's doing. A permanent one is the message's own, whatever else is down.
    if (isTransient(error, delivery.handler)) {
      for (const monitor of monitors) {
        if (!(await monitor.verify())) throw unavailable(monitor, error);
      }
    }
    throw error;
  }
}

function unavailable(monitor: DependencyMonitor, cause?: unknown): DependencyUnavailableError {
  const { reason } = monitor.status;
  const message = `${monitor.name} is unavailable${reason ? `: ${reason}` : ''}`;
  return new DependencyUnavailableError(monitor.name, message, cause === undefined ? undefined : { cause });
}

function isTransient(error: unknown, handler: HandlerDefinition): boolean {
  try {
    return classifyError(error, handler.classifiers) === 'transient';
  } catch {
    return false; // a classifier of the user's threw: the outcome step deals with that
  }
}

function isThenable(value: unknown): value is PromiseLike<void> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
