// The places outside apps/<name> that list the services, and pure edits that add one to each: nest-cli.json's
// projects, package.json's start scripts, docker-compose.yml's services, init.sql's databases and Prometheus's scrape
// jobs. Each edit takes the file's text and returns the new text, leaving the rest of the file as it was.

export class RegistrationError extends Error {
  override readonly name = 'RegistrationError';
}

// ---------------------------------------------------------------- nest-cli.json

/** The names of nest-cli.json's projects, which of them are libraries, and which are apps under apps/. */
export function nestProjects(text: string): { names: string[]; libraries: string[]; apps: string[] } {
  const projects = parseJson(text, 'nest-cli.json').projects as Record<string, { type?: string; root?: string }> | undefined;
  if (!projects || typeof projects !== 'object') throw new RegistrationError('nest-cli.json has no "projects"');
  const names = Object.keys(projects);
  return {
    names,
    libraries: names.filter((name) => projects[name].type === 'library'),
    apps: names.filter((name) => projects[name].type === 'application' && projects[name].root?.startsWith('apps/')),
  };
}

/** nest-cli.json with the project added after the last app under apps/ (so that apps stay together). */
export function addNestProject(text: string, name: string, project: object): string {
  const config = parseJson(text, 'nest-cli.json');
  const projects = config.projects as Record<string, { type?: string; root?: string }>;
  if (!projects || typeof projects !== 'object') throw new RegistrationError('nest-cli.json has no "projects"');
  const entries = Object.entries(projects);
  const lastApp = entries.findLastIndex(([, value]) => value.type === 'application' && value.root?.startsWith('apps/'));
  entries.splice(lastApp + 1, 0, [name, project]);
  return `${JSON.stringify({ ...config, projects: Object.fromEntries(entries) }, null, 2)}\n`;
}

// ---------------------------------------------------------------- package.json

/** The names of package.json's scripts. */
export function packageScripts(text: string): string[] {
  return Object.keys((parseJson(text, 'package.json').scripts as Record<string, string> | undefined) ?? {});
}

/**
 * package.json with `start:<name>` added after the start script of the last of `apps` (so that the services' start
 * scripts stay together, before others such as `start:dev`), else after the last `start:` script, else at the end.
 */
export function addStartScript(text: string, name: string, command: string, apps: readonly string[] = []): string {
  const manifest = parseJson(text, 'package.json');
  const entries = Object.entries((manifest.scripts as Record<string, string> | undefined) ?? {});
  const appStarts = new Set(apps.map((app) => `start:${app}`));
  let after = entries.findLastIndex(([key]) => appStarts.has(key));
  if (after === -1) after = entries.findLastIndex(([key]) => key.startsWith('start:'));
  entries.splice(after === -1 ? entries.length : after + 1, 0, [`start:${name}`, command]);
  return `${JSON.stringify({ ...manifest, scripts: Object.fromEntries(entries) }, null, 2)}\n`;
}

// ---------------------------------------------------------------- docker-compose.yml

export interface ComposeService {
  name: string;
  /** The APP build argument: set for the services built from this repository's Dockerfile. */
  app?: string;
  /** PORT in its environment. */
  port?: number;
  /** Host ports it publishes ("3000:3000" -> 3000). */
  hostPorts: number[];
  /** Lines of the file it spans: its header line, and one past its last line of content. */
  start: number;
  end: number;
}

const SERVICE_HEADER = /^ {2}([A-Za-z0-9._-]+):\s*(#.*)?$/;

/**
 * The services of a compose file, read from its text (a YAML parser would drop the comments on the way back). A
 * service spans its header to its last line of content; comments and blank lines after it belong to the next one.
 */
export function composeServices(text: string): ComposeService[] {
  const lines = text.split('\n');
  const section = topLevelSection(lines, 'services');
  if (!section) throw new RegistrationError('docker-compose.yml has no top-level "services:"');
  const headers: number[] = [];
  for (let index = section.start; index < section.end; index++) if (SERVICE_HEADER.test(lines[index])) headers.push(index);
  return headers.map((start, position) => {
    const end = lastContentLine(lines, start, headers[position + 1] ?? section.end) + 1;
    const body = lines.slice(start + 1, end);
    const app = body.map((line) => /^\s+APP:\s*"?([^"\s#]+)"?/.exec(line)?.[1]).find((value) => value !== undefined);
    const port = body.map((line) => /^\s+PORT:\s*"?(\d+)"?/.exec(line)?.[1]).find((value) => value !== undefined);
    const hostPorts = body.flatMap((line) => {
      const mapping = /^\s+-\s*"?(?:[\d.]+:)?(\d+):\d+(?:\/\w+)?"?/.exec(line);
      return mapping ? [Number(mapping[1])] : [];
    });
    return { name: SERVICE_HEADER.exec(lines[start])![1], app, port: port === undefined ? undefined : Number(port), hostPorts, start, end };
  });
}

/** The compose project's name (`name:` at the top), used in image names. */
export function composeProjectName(text: string): string | undefined {
  return /^name:\s*"?([^"\s#]+)"?/m.exec(text)?.[1];
}

/** The compose file with `block` (a service, indented as one) after the last service built from this repository. */
export function addComposeService(text: string, block: string): string {
  const services = composeServices(text);
  const after = services.filter((service) => service.app !== undefined).at(-1) ?? services.at(-1);
  if (!after) throw new RegistrationError('docker-compose.yml has no services to add one after');
  return insertLines(text, after.end, block);
}

// ---------------------------------------------------------------- docker/postgres/init.sql

/** The databases init.sql creates. */
export function initSqlDatabases(text: string): string[] {
  return [...text.matchAll(/^\s*CREATE DATABASE\s+"?([^";\s]+)"?/gim)].map((match) => match[1]);
}

/** init.sql with `statement` after its last CREATE DATABASE (or at the end). */
export function addDatabase(text: string, statement: string): string {
  const lines = text.split('\n');
  const last = lines.findLastIndex((line) => /^\s*CREATE DATABASE\b/i.test(line));
  const at = last === -1 ? lastContentLine(lines, 0, lines.length) + 1 : last + 1;
  lines.splice(at, 0, ...statement.replace(/\n$/, '').split('\n'));
  return lines.join('\n');
}

// ---------------------------------------------------------------- docker/prometheus/prometheus.yml

/** The job names of Prometheus's scrape_configs. */
export function scrapeJobs(text: string): string[] {
  return [...text.matchAll(/^\s*-\s*job_name:\s*"?([^"\s#]+)"?/gm)].map((match) => match[1]);
}

/** prometheus.yml with `block` (a job, indented as a list item) at the end of scrape_configs. */
export function addScrapeJob(text: string, block: string): string {
  const lines = text.split('\n');
  const section = topLevelSection(lines, 'scrape_configs');
  if (!section) throw new RegistrationError('prometheus.yml has no top-level "scrape_configs:"');
  return insertLines(text, lastContentLine(lines, section.start, section.end) + 1, block);
}

// ---------------------------------------------------------------- ports

/**
 * The HTTP port for a new service: the one after the highest that an app uses (its compose PORT, or a default
 * written in its sources), skipping any port that a compose service already publishes.
 */
export function nextFreePort(services: readonly ComposeService[], sourceTexts: readonly string[], first = 3000): number {
  const appPorts = services.flatMap((service) => (service.app !== undefined && service.port !== undefined ? [service.port] : []));
  for (const text of sourceTexts) {
    for (const match of text.matchAll(/\bPORT\b[^\n\d]{0,60}?\b(\d{4,5})\b/g)) appPorts.push(Number(match[1]));
  }
  const taken = new Set([...appPorts, ...services.flatMap((service) => service.hostPorts)]);
  let port = appPorts.length > 0 ? Math.max(...appPorts) + 1 : first;
  while (taken.has(port)) port++;
  return port;
}

// ---------------------------------------------------------------- helpers

function parseJson(text: string, file: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new RegistrationError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Lines [start, end) of a top-level YAML key's section: from its `key:` line to the next top-level line. */
function topLevelSection(lines: readonly string[], key: string): { start: number; end: number } | undefined {
  const start = lines.findIndex((line) => new RegExp(`^${key}:\\s*(#.*)?$`).test(line));
  if (start === -1) return undefined;
  let end = start + 1;
  while (end < lines.length && !/^[^\s#]/.test(lines[end])) end++;
  return { start, end };
}

/** The last line in [from, to) that is neither blank nor only a comment (from itself when there is none). */
function lastContentLine(lines: readonly string[], from: number, to: number): number {
  for (let index = to - 1; index > from; index--) if (!/^\s*(#.*)?$/.test(lines[index])) return index;
  return from;
}

/** `text` with a blank line and then `block` inserted before line `at`. */
function insertLines(text: string, at: number, block: string): string {
  const lines = text.split('\n');
  lines.splice(at, 0, '', ...block.replace(/\n$/, '').split('\n'));
  return lines.join('\n');
}
