// Jest setup: keeps test output readable. Set LOG_LEVEL=debug (or any level) to see the library's log lines.
import { Logger } from '@nestjs/common';

if (!process.env.LOG_LEVEL) Logger.overrideLogger(false);
