// GET /admin: the admin console's page, and its script and style sheet. None of them holds data, so they are served
// without the token; everything the page shows comes from /admin/api, which asks for it.
import { Controller, Get, Header, Inject, Req } from '@nestjs/common';
import type { Request } from 'express';
import { MESSAGING_OPTIONS, type ResolvedMessagingOptions } from '@app/messaging';
import { consoleScript } from './client/console-script';
import { CONSOLE_CSS, consolePage } from './console-page';

@Controller('admin')
export class ConsoleController {
  private readonly scriptText = consoleScript();

  constructor(@Inject(MESSAGING_OPTIONS) private readonly options: ResolvedMessagingOptions) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  page(@Req() request: Request): string {
    // The page's own path, so that its assets and API are found under a global prefix too.
    const base = request.path.replace(/\/+$/, '') || '/admin';
    return consolePage(this.options.serviceName, base);
  }

  @Get('assets/console.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  script(): string {
    return this.scriptText;
  }

  @Get('assets/console.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  style(): string {
    return CONSOLE_CSS;
  }
}
