// Loaded first by main.ts: OpenTelemetry must patch http and express before Nest loads them.
import { startTracing } from '@app/service-kit/tracing';
import { SERVICE_NAME } from './service-name';

startTracing({ serviceName: SERVICE_NAME });
