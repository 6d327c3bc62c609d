// What a readiness check is, and @ReadinessCheck, which makes a provider's check part of the service's readiness
// (the service kit's GET /health/ready runs every one it finds). The library checks the broker and the consumers;
// the persistence library checks the database; an application adds its own the same way.
import { SetMetadata } from '@nestjs/common';
import { READINESS_CHECK_METADATA } from '../messaging.constants';

export interface ReadinessResult {
  up: boolean;
  /** Shown in the readiness answer; say why when down. */
  details?: Record<string, unknown>;
}

export interface ReadinessCheckable {
  checkReadiness(): ReadinessResult | Promise<ReadinessResult>;
}

/** Marks a provider (implementing ReadinessCheckable) as the readiness check named `name`. */
export function ReadinessCheck(name: string): ClassDecorator {
  return SetMetadata(READINESS_CHECK_METADATA, name);
}

/** The name given with @ReadinessCheck to a provider class, if any. */
export function readinessCheckName(type: object): string | undefined {
  return Reflect.getMetadata(READINESS_CHECK_METADATA, type) as string | undefined;
}
