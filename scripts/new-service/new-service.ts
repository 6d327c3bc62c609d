// `npm run new:service -- <name>`: writes apps/<name> (a service with a sample handler, its table, migration and test)
// and registers it everywhere the services are listed. Exit 0 when written, 2 when refused, 1 when it failed; a
// refusal or a failure leaves nothing written.
import { resolve } from 'node:path';
import { commitChanges } from './file-changes';
import { planService, ServiceRefusal, type ServicePlan } from './service-plan';

const ROOT = resolve(__dirname, '../..');
const USAGE = 'usage: npm run new:service -- <name>   (lowercase letters, digits and dashes, e.g. billing)';

function main(args: string[]): number {
  if (args.length !== 1 || args[0].startsWith('-')) {
    console.error(
      `new:service: ${args.length === 0 ? 'a service name is required' : `expected one name, got: ${args.join(' ')}`}; ${USAGE}`,
    );
    return 2;
  }
  let plan: ServicePlan;
  try {
    plan = planService(ROOT, args[0]);
    commitChanges(plan.changes);
  } catch (error) {
    if (error instanceof ServiceRefusal) {
      console.error(`new:service: ${error.message}`);
      return 2;
    }
    console.error(`new:service: failed, nothing written: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  console.log(report(plan));
  return 0;
}

function report({ name, port, folder, changes, registrations }: ServicePlan): string {
  const steps: Array<[string, string]> = [
    ['npm run build', 'compile every app into dist/'],
    [`npm run start:${name}`, `run it on port ${port} (without DATABASE_URL, its data is under .data/${name})`],
    [`curl localhost:${port}/health/ready`, 'ready once its broker, consumer and database are'],
    [`npm run jest -- apps/${name}`, "its tests (the handler's needs RabbitMQ and PostgreSQL, as npm test does)"],
    [
      `docker compose up -d --build ${name}`,
      `in Docker (a postgres volume made earlier: docker compose exec postgres createdb -U postgres ${name})`,
    ],
    [`npx drizzle-kit generate --config ${folder}/drizzle.config.ts`, 'after a change of its schema: the next migration'],
  ];
  const fileWidth = Math.max(...registrations.map(({ file }) => file.length));
  const stepWidth = Math.max(...steps.slice(0, -1).map(([command]) => command.length));
  return [
    `Wrote the ${name} service (HTTP port ${port}, the next free one):`,
    ...[...changes.newFolder.files.keys()].map((path) => `  ${folder}/${path}`),
    'and registered it in:',
    ...registrations.map(({ file, what }) => `  ${file.padEnd(fileWidth)}  ${what}`),
    '',
    `Its sample handler (${folder}/src/${name}/order-created.handler.ts) consumes order.created from the queue`,
    `${name}.order.created and records each order in its table received_orders: make it yours.`,
    '',
    'Next steps:',
    ...steps.map(([command, note]) =>
      command.length > stepWidth ? `  ${command}\n  ${''.padEnd(stepWidth)}  ${note}` : `  ${command.padEnd(stepWidth)}  ${note}`,
    ),
  ].join('\n');
}

process.exitCode = main(process.argv.slice(2));
