// The edits that register a new service: each adds its entry in the right place and leaves the rest of the file as
// it was. Run against the repository's own files (so that a change of their shape shows here first), with
// expectations that still hold once services have been added to them.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  addComposeService,
  addDatabase,
  addNestProject,
  addScrapeJob,
  addStartScript,
  composeProjectName,
  composeServices,
  initSqlDatabases,
  nestProjects,
  nextFreePort,
  packageScripts,
  RegistrationError,
  scrapeJobs,
} from './registrations';

const ROOT = resolve(__dirname, '../..');
const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');
/** A name no repository has: the edits are checked with it. */
const NAME = 'registrations-spec';

function projectsOf(nestCli: string): Record<string, { type: string; root: string }> {
  return (JSON.parse(nestCli) as { projects: Record<string, { type: string; root: string }> }).projects;
}

/** Lines of `after` that are not in `before`, in order (both split by line; `before` must survive whole). */
function addedLines(before: string, after: string): string[] {
  const old = before.split('\n');
  const added: string[] = [];
  let next = 0;
  for (const line of after.split('\n')) {
    if (next < old.length && line === old[next]) next++;
    else added.push(line);
  }
  expect(next).toBe(old.length); // every old line kept, in order
  return added;
}

describe('nest-cli.json', () => {
  const text = read('nest-cli.json');

  it('lists the projects and which are libraries', () => {
    const { names, libraries } = nestProjects(text);
    expect(names).toEqual(expect.arrayContaining(['orders', 'notifications', 'messaging', 'all']));
    expect(libraries).toEqual(expect.arrayContaining(['messaging', 'messaging-core', 'contracts', 'persistence', 'service-kit']));
    expect(libraries).not.toContain('orders');
    expect(nestProjects(text).apps).toEqual(expect.arrayContaining(['orders', 'notifications']));
    expect(nestProjects(text).apps).not.toContain('all');
  });

  it('adds the project right after the last app under apps/, and changes nothing else', () => {
    const projects = projectsOf(text);
    const lastApp = Object.keys(projects)
      .filter((key) => projects[key].type === 'application' && projects[key].root.startsWith('apps/'))
      .at(-1)!;
    const project = { type: 'application', root: `apps/${NAME}` };

    const after = addNestProject(text, NAME, project);

    const keys = Object.keys(projectsOf(after));
    expect(keys[keys.indexOf(NAME) - 1]).toBe(lastApp);
    expect(projectsOf(after)[NAME]).toEqual(project);
    expect(addedLines(text, after)).toEqual([`    "${NAME}": {`, '      "type": "application",', `      "root": "apps/${NAME}"`, '    },']);
  });
});

describe('package.json', () => {
  const text = read('package.json');

  it("adds start:<name> after the last app's start script, and changes nothing else", () => {
    const apps = nestProjects(read('nest-cli.json')).apps;
    const lastAppStart = packageScripts(text)
      .filter((script) => apps.some((app) => script === `start:${app}`))
      .at(-1);

    const after = addStartScript(text, NAME, `node dist/apps/${NAME}/src/main.js`, apps);

    const scripts = packageScripts(after);
    expect(scripts[scripts.indexOf(`start:${NAME}`) - 1]).toBe(lastAppStart);
    expect(addedLines(text, after)).toEqual([`    "start:${NAME}": "node dist/apps/${NAME}/src/main.js",`]);
  });

  it('keeps the start scripts of the apps together, before another start script', () => {
    const manifest = { scripts: { 'start:orders': 'a', 'start:notifications': 'b', demo: 'c', 'start:dev': 'd' } };
    const after = addStartScript(JSON.stringify(manifest), 'billing', 'e', ['orders', 'notifications']);
    expect(packageScripts(after)).toEqual(['start:orders', 'start:notifications', 'start:billing', 'demo', 'start:dev']);
  });

  it('adds it at the end of the scripts when there is no start script', () => {
    const after = addStartScript('{\n  "scripts": {\n    "build": "nest build"\n  }\n}\n', 'billing', 'node main.js');
    expect(after).toBe('{\n  "scripts": {\n    "build": "nest build",\n    "start:billing": "node main.js"\n  }\n}\n');
  });

  it('says which file is not JSON', () => {
    const edit = (): string => addStartScript('{ "scripts": ', 'billing', 'x');
    expect(edit).toThrow(RegistrationError);
    expect(edit).toThrow(/^package\.json is not valid JSON/);
  });
});

describe('docker-compose.yml', () => {
  const text = read('docker-compose.yml');
  const block = `  ${NAME}:\n    image: ${NAME}\n    environment:\n      PORT: "3999"\n`;

  it('reads its services, which are apps, their ports and the project name', () => {
    const services = composeServices(text);
    expect(services.map((service) => service.name)).toEqual(
      expect.arrayContaining(['rabbitmq', 'postgres', 'redis', 'orders', 'notifications', 'otel-collector', 'jaeger', 'prometheus']),
    );
    expect(services.filter((service) => service.app).map(({ name, app, port }) => ({ name, app, port }))).toEqual(
      expect.arrayContaining([
        { name: 'orders', app: 'orders', port: 3000 },
        { name: 'notifications', app: 'notifications', port: 3001 },
      ]),
    );
    expect(services.find((service) => service.name === 'rabbitmq')?.hostPorts).toEqual([5672, 15672]);
    expect(composeProjectName(text)).toBe('nest-rabbitmq-starter');
  });

  it('adds the service after the last app, before the comment that opens the next section', () => {
    const after = addComposeService(text, block);

    expect(addedLines(text, after)).toEqual([`  ${NAME}:`, `    image: ${NAME}`, '    environment:', '      PORT: "3999"', '']);
    const lines = after.split('\n');
    const start = lines.indexOf(`  ${NAME}:`);
    expect(lines.slice(start - 2, start)).toEqual(['    stop_grace_period: 30s', '']);
    expect(lines.slice(start + 4, start + 6)).toEqual([
      '',
      '  # Telemetry: apps -> otel-collector (OTLP) -> jaeger (traces, http://localhost:16686);',
    ]);
    const services = composeServices(after);
    expect(services.filter((service) => service.app).at(-1)?.end).toBeLessThan(start);
    expect(services.find((service) => service.name === NAME)).toMatchObject({ port: 3999, start });
  });

  it('refuses a file without services', () => {
    expect(() => addComposeService('name: x\nvolumes:\n  data:\n', block)).toThrow(RegistrationError);
  });
});

describe('init.sql', () => {
  const text = read('docker/postgres/init.sql');

  it('lists the databases and adds one after the last', () => {
    expect(initSqlDatabases(text)).toEqual(expect.arrayContaining(['orders', 'notifications']));
    const after = addDatabase(text, `CREATE DATABASE "${NAME}";\n`);
    expect(addedLines(text, after)).toEqual([`CREATE DATABASE "${NAME}";`]);
    expect(initSqlDatabases(after)).toEqual([...initSqlDatabases(text), NAME]);
    expect(addDatabase('-- header\nCREATE DATABASE a;\n\n-- more\nGRANT x;\n', 'CREATE DATABASE b;')).toBe(
      '-- header\nCREATE DATABASE a;\nCREATE DATABASE b;\n\n-- more\nGRANT x;\n',
    );
  });
});

describe('prometheus.yml', () => {
  const text = read('docker/prometheus/prometheus.yml');

  it('lists the scrape jobs and adds one at the end of scrape_configs', () => {
    expect(scrapeJobs(text)).toEqual(expect.arrayContaining(['orders', 'notifications']));
    const job = `  - job_name: ${NAME}\n    static_configs:\n      - targets: ["${NAME}:3999"]\n`;
    const after = addScrapeJob(text, job);
    expect(after).toBe(`${text.replace(/\n+$/, '')}\n\n${job}`);
    expect(scrapeJobs(after)).toEqual([...scrapeJobs(text), NAME]);
  });

  it('adds it before a top-level key that follows scrape_configs', () => {
    const after = addScrapeJob('scrape_configs:\n  - job_name: a\n\nremote_write:\n  - url: x\n', '  - job_name: b\n');
    expect(after).toBe('scrape_configs:\n  - job_name: a\n\n  - job_name: b\n\nremote_write:\n  - url: x\n');
  });
});

describe('nextFreePort', () => {
  /** The shape of the starter's compose file: two apps, and infrastructure publishing its own ports. */
  const services = composeServices(
    [
      'services:',
      '  rabbitmq:',
      '    ports:',
      '      - "5672:5672"',
      '  orders:',
      '    build:',
      '      args:',
      '        APP: orders',
      '    environment:',
      '      PORT: "3000"',
      '    ports:',
      '      - "3000:3000"',
      '  notifications:',
      '    build:',
      '      args:',
      '        APP: notifications',
      '    environment:',
      '      PORT: "3001"',
      '',
    ].join('\n'),
  );

  it('is the one after the highest port an app uses (orders 3000, notifications 3001)', () => {
    expect(nextFreePort(services, [])).toBe(3002);
  });

  it("is past every app of the repository's own compose file", () => {
    const own = composeServices(read('docker-compose.yml'));
    expect(nextFreePort(own, [])).toBeGreaterThan(Math.max(...own.flatMap((service) => (service.app ? [service.port ?? 0] : []))));
  });

  it('counts a default port written in an app source, and skips a port another service publishes', () => {
    expect(nextFreePort(services, ['await app.listen(Number(process.env.PORT ?? 3004));'])).toBe(3005);
    const withTaken = composeServices(
      'services:\n  api:\n    build:\n      args:\n        APP: api\n    environment:\n      PORT: "4316"\n  otel:\n    ports:\n      - "4317:4317"\n',
    );
    expect(nextFreePort(withTaken, [])).toBe(4318);
  });

  it('starts at 3000 when no app has a port', () => {
    expect(nextFreePort([], [])).toBe(3000);
  });
});
