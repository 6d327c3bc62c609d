// What a new service may be called, and the forms of its name the templates need (class prefix, database identifier).

/** Lowercase letters, digits and single dashes, starting with a letter: a folder, a queue prefix, a compose service. */
const NAME_PATTERN = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9]))*$/;

/** Short enough for every place the name goes (queues `<name>.<type>.dlq`, PostgreSQL's 63-byte identifiers, logs). */
export const MAX_NAME_LENGTH = 30;

/**
 * Names the workspace or the broker already uses for something else: nest-cli's build-everything project, the
 * top-level folders, the prefixes of the library's own broker names, PostgreSQL's own databases. Library and app
 * names are not listed here: they are found in the tree (see ServicePlan).
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  'all',
  'apps',
  'libs',
  'src',
  'test',
  'dist',
  'bench',
  'scripts',
  'tools',
  'docker',
  'node-modules',
  'delay',
  'domain',
  'postgres',
  'template0',
  'template1',
]);

/** Why `name` cannot be a service's name, or undefined when it can (whether it is taken is checked elsewhere). */
export function nameProblem(name: string): string | undefined {
  if (name === '') return 'a service name is required, e.g. `npm run new:service -- billing`';
  if (name.length > MAX_NAME_LENGTH) return `"${name}" is too long for a service name (at most ${MAX_NAME_LENGTH} characters)`;
  if (!NAME_PATTERN.test(name)) {
    return `"${name}" is not a valid service name: lowercase letters, digits and single dashes, starting with a letter and not ending with a dash`;
  }
  if (RESERVED_NAMES.has(name)) return `"${name}" is reserved: the workspace, the broker or PostgreSQL uses it for something else`;
  return undefined;
}

/** `billing-eu` -> `BillingEu`: the prefix of the service's class names (`BillingEuAppModule`). */
export function classPrefix(name: string): string {
  return name
    .split('-')
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
}

/** `billing-eu` -> `billingEu`: the prefix of the service's variables (`billingEuConfig`). */
export function variablePrefix(name: string): string {
  const prefix = classPrefix(name);
  return prefix[0].toLowerCase() + prefix.slice(1);
}

/** The name as a PostgreSQL identifier: as it is when it needs no quotes, else quoted (`"billing-eu"`). */
export function databaseIdentifier(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name}"`;
}
