// Jest setup: keeps test output readable. Set LOG_LEVEL (e.g. LOG_LEVEL=debug) to see the applications' log lines.
import { Logger, type LoggerService } from '@nestjs/common';
import { TestingModuleBuilder } from '@nestjs/testing';

if (!process.env.LOG_LEVEL) {
  const silent: LoggerService = { log: () => undefined, error: () => undefined, warn: () => undefined };
  Logger.overrideLogger(false);
  // Test.createTestingModule().compile() installs a logger of its own that prints everything; keep it quiet too.
  const compile = TestingModuleBuilder.prototype.compile;
  TestingModuleBuilder.prototype.compile = function (this: TestingModuleBuilder, ...args: Parameters<typeof compile>) {
    this.setLogger(silent);
    return compile.apply(this, args);
  };
}
