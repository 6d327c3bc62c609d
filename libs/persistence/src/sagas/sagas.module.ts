// SagasModule: the application's @Saga classes become handlers (SagaExplorer), their instances live in the service's
// database (SagaStore), service code starts and reads them (Sagas), operators read them (SAGA_DIRECTORY, the admin
// API) and the admin console lists those in flight (the sagasInFlight sampler). Needs DatabaseModule and
// SchedulingModule (timeouts are scheduled messages). Mounts no route.
import { Inject, Module, Optional, type DynamicModule, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { MESSAGING_INSTRUMENTATION, SAGA_DIRECTORY, type MessagingInstrumentation } from '@app/messaging';
import { SagaExplorer } from './saga-explorer';
import { SagaRunner } from './saga-runner';
import { SagaStore } from './saga-store';
import { Sagas } from './sagas';

class SagaSampler implements OnApplicationBootstrap {
  constructor(
    private readonly store: SagaStore,
    @Optional() @Inject(MESSAGING_INSTRUMENTATION) private readonly instrumentation?: MessagingInstrumentation,
  ) {}

  onApplicationBootstrap(): void {
    this.instrumentation?.setSampler('sagasInFlight', (limit) => this.store.inFlight(limit));
  }
}

@Module({})
export class SagasModule {
  static forRoot(): DynamicModule {
    return {
      module: SagasModule,
      global: true,
      imports: [DiscoveryModule],
      providers: [SagaStore, SagaRunner, SagaExplorer, Sagas, SagaSampler, { provide: SAGA_DIRECTORY, useExisting: SagaStore }],
      exports: [Sagas, SagaStore, SAGA_DIRECTORY],
    };
  }
}
