// CircuitsModule: the CircuitRegistry where an application reports its circuit breakers (global, so any provider can
// inject it). Mounts nothing; ServiceKitModule imports it.
import { Global, Module } from '@nestjs/common';
import { CircuitRegistry } from './circuit-registry';

@Global()
@Module({ providers: [CircuitRegistry], exports: [CircuitRegistry] })
export class CircuitsModule {}
