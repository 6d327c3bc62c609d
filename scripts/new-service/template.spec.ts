// Rendering the generator's templates: every placeholder filled, in names and contents, or an error naming the gap.
import { join } from 'node:path';
import { renderTemplate, renderTemplateFolder, TemplateError } from './template';

const VALUES = {
  name: 'billing-eu',
  Name: 'BillingEu',
  nameCamel: 'billingEu',
  port: '3002',
  database: '"billing-eu"',
  composeProject: 'p',
  migrationTime: '1',
  snapshotId: 'id',
};

describe('renderTemplate', () => {
  it('fills every placeholder', () => {
    expect(renderTemplate('export class {{Name}}AppModule {} // {{name}} on {{port}}, {{name}}', VALUES)).toBe(
      'export class BillingEuAppModule {} // billing-eu on 3002, billing-eu',
    );
  });

  it('names the template and the placeholders that have no value', () => {
    expect(() => renderTemplate('{{name}} {{colour}} {{size}}', VALUES, 'main.ts.tpl')).toThrow(
      new TemplateError('main.ts.tpl has placeholders without a value: colour, size'),
    );
  });
});

describe("the generator's app template", () => {
  const files = renderTemplateFolder(join(__dirname, 'template/app'), VALUES);

  it('renders the names of its files, without .tpl', () => {
    expect([...files.keys()]).toEqual(
      expect.arrayContaining([
        'src/main.ts',
        'src/billing-eu-app.module.ts',
        'src/billing-eu/order-created.handler.ts',
        'migrations/0000_billing-eu.sql',
        'tsconfig.app.json',
      ]),
    );
    expect([...files.keys()].filter((path) => path.includes('{{') || path.endsWith('.tpl'))).toEqual([]);
  });

  it('opens each source file with its one-line header comment', () => {
    for (const [path, content] of files) {
      if (/\.(ts|sql)$/.test(path)) expect(`${path}: ${content.split('\n')[0]}`).toMatch(/^[^:]+: (\/\/|--) \S/);
    }
  });

  it('reads the environment in one file only: <name>-config.ts, the part to align with the sample apps', () => {
    const readingEnv = [...files].filter(
      ([path, content]) => path.startsWith('src/') && !path.endsWith('spec.ts') && content.includes('process.env'),
    );
    expect(readingEnv.map(([path]) => path)).toEqual(['src/billing-eu-config.ts']);
  });

  it('writes the service name in one source file only: service-name.ts', () => {
    const withName = [...files].filter(
      ([path, content]) =>
        path.startsWith('src/') && !path.endsWith('.spec.ts') && content.replace(/^\/\/.*$/gm, '').includes("'billing-eu'"),
    );
    expect(withName.map(([path]) => path)).toEqual(['src/service-name.ts']);
  });
});
