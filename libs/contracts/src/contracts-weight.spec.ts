// The contracts are light: loading them (in a process of its own) loads no broker, database, cache, logging, tracing
// or Nest package, so that any producer can share them. A new import that breaks this fails here.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../..');
const HEAVY = [
  'amqplib',
  'amqp-connection-manager',
  'pg',
  'drizzle-orm',
  '@electric-sql/pglite',
  'ioredis',
  'pino',
  '@opentelemetry',
  '@nestjs',
  'rxjs',
  'prom-client',
];

/** The packages (under node_modules) that a fresh process has loaded after requiring `entry`. */
function packagesLoadedBy(entry: string): string[] {
  const script = `require(${JSON.stringify(entry)}); process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
  const out = execFileSync(process.execPath, ['-r', './test/support/register-ts.js', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  const files = JSON.parse(out) as string[];
  const packages = new Set<string>();
  for (const file of files) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
    if (match) packages.add(match[1]);
  }
  return [...packages].sort();
}

function heavyAmong(packages: string[]): string[] {
  return packages.filter((name) => HEAVY.some((heavy) => name === heavy || name.startsWith(`${heavy}/`)));
}

describe('the weight of the contracts', () => {
  it('loads only class-validator, class-transformer and what they need with the message classes', () => {
    const packages = packagesLoadedBy('./libs/contracts/src');

    expect(packages).toEqual(expect.arrayContaining(['class-transformer', 'class-validator']));
    expect(heavyAmong(packages)).toEqual([]);
  });

  it('keeps the light messaging library as light', () => {
    expect(heavyAmong(packagesLoadedBy('./libs/messaging-core/src'))).toEqual([]);
  });

  it('would notice a heavy package: the messaging runtime loads amqplib and Nest', () => {
    expect(heavyAmong(packagesLoadedBy('./libs/messaging/src'))).toEqual(expect.arrayContaining(['amqplib', '@nestjs/common']));
  });
});
