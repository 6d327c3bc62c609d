// The admin console's page script, as served at /admin/assets/console.js: the source text of the browser functions
// (compiled by the project's own TypeScript with everything else, type-checked against the DOM), run once the page is
// parsed. No bundler and no framework: three functions that refer to nothing outside themselves.
import { consoleApp } from './console-app';
import { consoleDom } from './console-dom';
import { deadLetterViews } from './dead-letter-views';

export function consoleScript(): string {
  return `'use strict';\n(${consoleApp.toString()})((${consoleDom.toString()})(), ${deadLetterViews.toString()});\n`;
}
