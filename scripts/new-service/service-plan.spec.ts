// Planning a service in a small repository of its own: the port after the apps' ones, the refusals, and a repository
// without the Docker files (their edits are skipped, not failed). Nothing is written by a plan.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planService, ServiceRefusal } from './service-plan';

describe('planService', () => {
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'service-plan-'));
    writeFileSync(join(root, 'package.json'), `${JSON.stringify({ name: 'shop', scripts: { 'start:orders': 'node orders' } }, null, 2)}\n`);
    writeFileSync(
      join(root, 'nest-cli.json'),
      `${JSON.stringify({ projects: { orders: { type: 'application', root: 'apps/orders' }, kit: { type: 'library', root: 'libs/kit' } } }, null, 2)}\n`,
    );
    mkdirSync(join(root, 'apps/orders/src'), { recursive: true });
    writeFileSync(join(root, 'apps/orders/src/orders-config.ts'), "port: envPort(env, 'PORT') ?? 3000,\n");
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('plans the app and the edits of the files there are, skipping the Docker files this repository has not', () => {
    const plan = planService(root, 'billing');

    expect(plan.port).toBe(3001);
    expect([...plan.changes.newFolder.files.keys()]).toEqual(
      expect.arrayContaining(['src/main.ts', 'src/billing-config.ts', 'migrations/meta/_journal.json']),
    );
    expect(plan.changes.edits.map((edit) => edit.path)).toEqual([join(root, 'nest-cli.json'), join(root, 'package.json')]);
    expect(plan.registrations.filter(({ what }) => what === 'not there: skipped').map(({ file }) => file)).toEqual([
      'docker-compose.yml',
      'docker/postgres/init.sql',
      'docker/prometheus/prometheus.yml',
    ]);
    expect(readdirSync(join(root, 'apps'))).toEqual(['orders']); // a plan writes nothing
  });

  it.each([
    ['an app', 'orders', 'apps/orders'],
    ['a library project', 'kit', 'a library: libs/kit'],
  ])('refuses the name of %s', (_what, name, where) => {
    expect(() => planService(root, name)).toThrow(new ServiceRefusal(`"${name}" exists already (${where}): choose another name`));
  });

  it('refuses a name whose start script exists, though it has no app', () => {
    writeFileSync(join(root, 'package.json'), JSON.stringify({ scripts: { 'start:billing': 'node billing' } }));
    expect(() => planService(root, 'billing')).toThrow(/the script start:billing in package\.json/);
  });

  it('refuses an invalid name before reading anything', () => {
    expect(() => planService(join(root, 'nowhere'), 'Billing')).toThrow(ServiceRefusal);
  });
});
