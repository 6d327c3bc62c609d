// Plans a new service without writing anything: checks its name against the rules and against everything the
// workspace already has, picks its port, renders the app's templates and computes the edit of each file that lists
// the services. `commitChanges` then writes the plan.
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FileChanges } from './file-changes';
import {
  addComposeService,
  addDatabase,
  addNestProject,
  addScrapeJob,
  addStartScript,
  composeProjectName,
  composeServices,
  initSqlDatabases,
  type ComposeService,
  nestProjects,
  nextFreePort,
  packageScripts,
  scrapeJobs,
} from './registrations';
import { classPrefix, databaseIdentifier, nameProblem, variablePrefix } from './service-name-rules';
import { renderTemplateFile, renderTemplateFolder, type TemplateValues } from './template';

const TEMPLATE_FOLDER = join(__dirname, 'template');

/** The files that list the services, relative to the repository root. The Docker ones are optional: a repository
 * without one gets no edit of it (and the report says so). */
export const REGISTRATION_FILES = {
  nestCli: 'nest-cli.json',
  packageJson: 'package.json',
  compose: 'docker-compose.yml',
  initSql: 'docker/postgres/init.sql',
  prometheus: 'docker/prometheus/prometheus.yml',
} as const;
const OPTIONAL: ReadonlySet<RegistrationKey> = new Set(['compose', 'initSql', 'prometheus']);

type RegistrationKey = keyof typeof REGISTRATION_FILES;
/** Each file's text, or undefined for an optional file the repository does not have. */
type RegistrationTexts = { [K in RegistrationKey]: K extends 'nestCli' | 'packageJson' ? string : string | undefined };

/** A name the generator will not use: a refusal, not a failure (exit code 2, nothing written). */
export class ServiceRefusal extends Error {
  override readonly name = 'ServiceRefusal';
}

export interface ServicePlan {
  name: string;
  port: number;
  /** Relative to the repository root. */
  folder: string;
  changes: FileChanges;
  /** What each edit adds, for the report (file -> what). */
  registrations: Array<{ file: string; what: string }>;
}

export function planService(root: string, name: string): ServicePlan {
  const problem = nameProblem(name);
  if (problem) throw new ServiceRefusal(problem);

  const texts = readRegistrations(root);
  const services = texts.compose === undefined ? [] : composeServices(texts.compose);
  refuseTaken(root, name, texts, services);

  const port = nextFreePort(services, appSourceTexts(root));
  const values: TemplateValues = {
    name,
    Name: classPrefix(name),
    nameCamel: variablePrefix(name),
    port: String(port),
    database: databaseIdentifier(name),
    composeProject: (texts.compose === undefined ? undefined : composeProjectName(texts.compose)) ?? packageName(texts.packageJson),
    migrationTime: String(Date.now()),
    snapshotId: randomUUID(),
  };
  const registration = (file: string): string => renderTemplateFile(join(TEMPLATE_FOLDER, 'registrations', file), values);
  const edits: Array<{ key: RegistrationKey; after: string | undefined; what: string }> = [
    {
      key: 'nestCli',
      after: addNestProject(texts.nestCli, name, JSON.parse(registration('nest-cli-project.json.tpl')) as object),
      what: `project "${name}"`,
    },
    {
      key: 'packageJson',
      after: addStartScript(texts.packageJson, name, registration('start-script.txt.tpl').trim(), nestProjects(texts.nestCli).apps),
      what: `script "start:${name}"`,
    },
    {
      key: 'compose',
      after: texts.compose === undefined ? undefined : addComposeService(texts.compose, registration('docker-compose-service.yml.tpl')),
      what: `service "${name}" (port ${port}, database ${name})`,
    },
    {
      key: 'initSql',
      after: texts.initSql === undefined ? undefined : addDatabase(texts.initSql, registration('init.sql.tpl')),
      what: `CREATE DATABASE ${values.database}`,
    },
    {
      key: 'prometheus',
      after: texts.prometheus === undefined ? undefined : addScrapeJob(texts.prometheus, registration('prometheus-job.yml.tpl')),
      what: `scrape job "${name}"`,
    },
  ];
  const folder = `apps/${name}`;
  return {
    name,
    port,
    folder,
    changes: {
      newFolder: { path: join(root, folder), files: renderTemplateFolder(join(TEMPLATE_FOLDER, 'app'), values) },
      edits: edits.flatMap(({ key, after }) =>
        after === undefined ? [] : [{ path: join(root, REGISTRATION_FILES[key]), before: texts[key] ?? '', after }],
      ),
    },
    registrations: edits.map(({ key, after, what }) => ({
      file: REGISTRATION_FILES[key],
      what: after === undefined ? 'not there: skipped' : what,
    })),
  };
}

function packageName(packageJson: string): string {
  return String((JSON.parse(packageJson) as { name?: string }).name ?? 'app');
}

function readRegistrations(root: string): RegistrationTexts {
  const read = (key: RegistrationKey): string | undefined => {
    const path = join(root, REGISTRATION_FILES[key]);
    return OPTIONAL.has(key) && !existsSync(path) ? undefined : readFileSync(path, 'utf8');
  };
  return {
    nestCli: read('nestCli')!,
    packageJson: read('packageJson')!,
    compose: read('compose'),
    initSql: read('initSql'),
    prometheus: read('prometheus'),
  };
}

/** Refuses a name that an app, a library, a project, a script, a compose service, a database or a job already has. */
function refuseTaken(root: string, name: string, texts: RegistrationTexts, services: readonly ComposeService[]): void {
  const projects = nestProjects(texts.nestCli);
  const places: Array<[boolean, string]> = [
    [existsSync(join(root, 'apps', name)), `apps/${name}`],
    [existsSync(join(root, 'libs', name)) || projects.libraries.includes(name), `a library: libs/${name}`],
    [projects.names.includes(name), `a project in ${REGISTRATION_FILES.nestCli}`],
    [packageScripts(texts.packageJson).includes(`start:${name}`), `the script start:${name} in ${REGISTRATION_FILES.packageJson}`],
    [services.some((service) => service.name === name), `a service in ${REGISTRATION_FILES.compose}`],
    [texts.initSql !== undefined && initSqlDatabases(texts.initSql).includes(name), `a database in ${REGISTRATION_FILES.initSql}`],
    [texts.prometheus !== undefined && scrapeJobs(texts.prometheus).includes(name), `a scrape job in ${REGISTRATION_FILES.prometheus}`],
  ];
  const taken = places.find(([exists]) => exists);
  if (taken) throw new ServiceRefusal(`"${name}" exists already (${taken[1]}): choose another name`);
}

/** The apps' sources and env examples, where a default port may be written. */
function appSourceTexts(root: string): string[] {
  const apps = join(root, 'apps');
  if (!existsSync(apps)) return [];
  return readdirSync(apps, { recursive: true, encoding: 'utf8' })
    .filter((path) => /\.(ts|env\.example)$|(^|[\\/])\.env\.example$/.test(path) && !/\.(spec|int-spec)\.ts$/.test(path))
    .map((path) => readFileSync(join(apps, path), 'utf8'));
}
