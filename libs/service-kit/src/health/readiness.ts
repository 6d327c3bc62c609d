// Gathers the readiness checks of the application (every provider marked @ReadinessCheck: the broker and consumers
// from the messaging library, the database from the persistence library, any of the application's own) and says
// "shutting down" from the first shutdown hook on, so that an orchestrator stops sending work before the drain.
import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { readinessCheckName, type ReadinessCheckable } from '@app/messaging';

@Injectable()
export class Readiness implements OnApplicationBootstrap, OnModuleDestroy {
  private shuttingDown = false;
  private checks: Array<{ name: string; check: ReadinessCheckable }> = [];

  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly discovery: DiscoveryService,
  ) {}

  onApplicationBootstrap(): void {
    this.checks = [];
    for (const wrapper of this.discovery.getProviders()) {
      const name = wrapper.metatype ? readinessCheckName(wrapper.metatype) : undefined;
      const check = wrapper.instance as ReadinessCheckable | undefined;
      if (name && typeof check?.checkReadiness === 'function') this.checks.push({ name, check });
    }
  }

  // The first shutdown hook Nest calls: readiness turns false before consumers drain and the server closes.
  onModuleDestroy(): void {
    this.shuttingDown = true;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** The checks of GET /health/ready, as terminus runs them. */
  indicatorsToRun(): Array<() => Promise<HealthIndicatorResult>> {
    // eslint-disable-next-line @typescript-eslint/require-await -- terminus runs promise checks; async also turns a throw into a rejection it reports
    const lifecycle = async (): Promise<HealthIndicatorResult> => this.lifecycle();
    const checks = this.checks.map((entry) => () => this.run(entry.name, entry.check));
    return [lifecycle, ...checks];
  }

  private lifecycle(): HealthIndicatorResult {
    const check = this.indicators.check('lifecycle');
    return this.shuttingDown ? check.down({ message: 'shutting down' }) : check.up();
  }

  private async run(name: string, readiness: ReadinessCheckable): Promise<HealthIndicatorResult> {
    const check = this.indicators.check(name);
    try {
      const result = await readiness.checkReadiness();
      return result.up ? check.up(result.details) : check.down(result.details);
    } catch (error) {
      return check.down({ message: error instanceof Error ? error.message : String(error) });
    }
  }
}
