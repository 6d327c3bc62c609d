// The dependencies of the application (each watched by a DependencyMonitor), added by the libraries that own them
// (DatabaseModule adds "database", RedisIdempotencyModule "redis") or by the application, and which of them each
// handler needs: its consumer pauses while one of those is down.
import { Injectable } from '@nestjs/common';
import { MessagingConfigError } from '@app/messaging-core';
import type { HandlerDefinition } from '../handlers/handler-definition';
import { IdempotencyStores } from '../idempotency/idempotency-stores';
import type { DependencyMonitor, DependencyStatus } from './dependency-monitor';

export interface AddDependencyOptions {
  /**
   * Every handler depends on it unless it lists its own `dependsOn`. DatabaseModule adds the service's database so:
   * a handler of a service with a database most likely uses it, and pausing one that does not only delays it, while
   * running one that does during an outage would fail it.
   */
  everyHandler?: boolean;
}

@Injectable()
export class Dependencies {
  private readonly entries = new Map<string, { monitor: DependencyMonitor; everyHandler: boolean }>();

  constructor(private readonly stores: IdempotencyStores) {}

  /** Adds a dependency; a second one of the same name is refused. */
  add(monitor: DependencyMonitor, options: AddDependencyOptions = {}): void {
    if (this.entries.has(monitor.name)) throw new MessagingConfigError('dependencies', `"${monitor.name}" was added twice`);
    this.entries.set(monitor.name, { monitor, everyHandler: options.everyHandler ?? false });
  }

  get(name: string): DependencyMonitor | undefined {
    return this.entries.get(name)?.monitor;
  }

  get statuses(): DependencyStatus[] {
    return [...this.entries.values()].map(({ monitor }) => monitor.status);
  }

  /**
   * What the consumer of `handler` waits for: the dependencies it lists in `@MessageHandler(T, { dependsOn })` (else
   * every one added with `everyHandler`), and the one its idempotency store keeps its marks in. Throws
   * MessagingConfigError for a listed name the application does not have.
   */
  forHandler(handler: HandlerDefinition): DependencyMonitor[] {
    const names = new Set<string>();
    if (handler.dependsOn) {
      for (const name of handler.dependsOn) {
        if (!this.entries.has(name)) {
          const known = [...this.entries.keys()].map((known) => `"${known}"`).join(', ') || 'none';
          throw new MessagingConfigError(
            `${handler.name} dependsOn`,
            `"${name}" is not a dependency of this application (it has ${known})`,
          );
        }
        names.add(name);
      }
    } else {
      for (const [name, entry] of this.entries) if (entry.everyHandler) names.add(name);
    }
    const storeDependency = handler.idempotent
      ? this.stores.get(handler.idempotent.store ?? 'database', handler.name).dependency
      : undefined;
    if (storeDependency && this.entries.has(storeDependency)) names.add(storeDependency);
    return [...names].map((name) => this.entries.get(name)!.monitor);
  }
}
