// Loaded first by main.ts: fills the environment from .env (when there is one), then starts OpenTelemetry, which must
// patch http and express before Nest loads them. A configuration error here stops the start with one line.
import { exitOnConfigError, loadEnvFile, startTracing } from '@app/service-kit/tracing';
import { SERVICE_NAME } from './service-name';

exitOnConfigError(() => {
  loadEnvFile();
  startTracing({ serviceName: SERVICE_NAME });
});
