// Starts the {{name}} service: HTTP on PORT (default {{port}}); SIGTERM drains in-flight messages and exits cleanly.
// A configuration error (a wrong variable or option) stops the start with one line on stderr and exit code 1.
import './tracing';
import { NestFactory } from '@nestjs/core';
import { enableGracefulShutdown, RUN_SERVICE_OPTIONS, runService } from '@app/service-kit';
import { Logger } from 'nestjs-pino';
import { {{Name}}AppModule } from './{{name}}-app.module';
import { {{nameCamel}}Config, type {{Name}}Config } from './{{name}}-config';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create({{Name}}AppModule, RUN_SERVICE_OPTIONS);
  app.useLogger(app.get(Logger));
  app.flushLogs();
  enableGracefulShutdown(app);
  await app.listen(app.get<{{Name}}Config>({{nameCamel}}Config.KEY).port);
}

void runService(bootstrap);
