// Loaded first by main.ts: OpenTelemetry must patch http and express before Nest loads them.
import { startTracing } from '@app/messaging/tracing';

startTracing({ serviceName: 'orders' });
