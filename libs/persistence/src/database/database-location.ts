// Where a service's database lives: a PostgreSQL URL (the url option, else DATABASE_URL) or the embedded PGlite
// database's folder (dataDir, else DATA_DIR, else .data/<service>), resolved and checked at start.
import { ConfigError, envString, envUrl, MessagingConfigError, redactUrl, urlProblem, type Env, type UrlForm } from '@app/messaging';

/** What DATABASE_URL and the url option accept. */
export const DATABASE_URL_FORM: UrlForm = { schemes: ['postgres:', 'postgresql:'], example: 'postgres://user:password@host:5432/database' };

export interface DatabaseLocationOptions {
  serviceName?: string;
  url?: string;
  dataDir?: string;
}

export interface DatabaseLocation {
  /** PostgreSQL; undefined = the embedded database in dataDir. */
  url?: string;
  /** Where the url came from (the option, or DATABASE_URL), to name it when the database refuses it. */
  urlSource?: 'option' | 'env';
  dataDir: string;
  /** Names the service's migrations folder, when known. */
  serviceName?: string;
}

/** The PostgreSQL URL from DATABASE_URL (undefined when unset); throws EnvConfigError naming DATABASE_URL when it is not one. */
export function databaseUrlFromEnv(env: Env = process.env): string | undefined {
  return envUrl(env, 'DATABASE_URL', DATABASE_URL_FORM);
}

/** Options over the environment; `fallbackServiceName` is MessagingModule's. Throws a ConfigError when it cannot tell. */
export function resolveDatabaseLocation(
  options: DatabaseLocationOptions,
  fallbackServiceName?: string,
  env: Env = process.env,
): DatabaseLocation {
  if (options.url !== undefined) {
    const problem = urlProblem(options.url, DATABASE_URL_FORM);
    if (problem) throw new MessagingConfigError('DatabaseModule url', `"${redactUrl(options.url)}" ${problem}`);
  }
  const url = options.url ?? databaseUrlFromEnv(env);
  const serviceName = options.serviceName ?? fallbackServiceName ?? envString(env, 'SERVICE_NAME');
  const dataDir = options.dataDir ?? envString(env, 'DATA_DIR');
  if (!serviceName && !dataDir && !url) {
    throw new ConfigError(
      'DatabaseModule needs a serviceName (or MessagingModule, SERVICE_NAME, dataDir, DATA_DIR, a url or DATABASE_URL)',
    );
  }
  const urlSource = url === undefined ? undefined : options.url !== undefined ? 'option' : 'env';
  return { url, urlSource, dataDir: dataDir ?? `.data/${serviceName}`, serviceName };
}
