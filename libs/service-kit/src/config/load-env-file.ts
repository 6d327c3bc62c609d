// The .env file of a service or a command: read once, first thing at start, into process.env. A variable the
// environment already has (from the shell, Docker, Kubernetes) keeps its value; the file only fills the others.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { ConfigError, EnvConfigError, envString } from '@app/messaging-core';

export interface LoadEnvFileOptions {
  /** Default process.env: read for ENV_FILE, filled from the file. */
  env?: NodeJS.ProcessEnv;
  /** Where a relative path is resolved. Default the working directory. */
  cwd?: string;
}

/**
 * Fills the environment from the file ENV_FILE names, else from `.env` in the working directory when there is one
 * (`ENV_FILE=/dev/null` reads none). Returns the path read, or undefined. Throws a ConfigError when ENV_FILE names a
 * file that cannot be read, or `.env` exists but cannot be read.
 */
export function loadEnvFile(options: LoadEnvFileOptions = {}): string | undefined {
  const { env = process.env, cwd = process.cwd() } = options;
  const named = envString(env, 'ENV_FILE');
  const path = resolve(cwd, named ?? '.env');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    if (named === undefined && code === 'ENOENT') return undefined;
    if (named !== undefined) throw new EnvConfigError('ENV_FILE', named, `must name a readable file of NAME=value lines (${code})`);
    throw new ConfigError(`${path} cannot be read (${code}); fix it, or set ENV_FILE=/dev/null to read no file`);
  }
  for (const [name, value] of Object.entries(parseEnv(text))) {
    if (env[name] === undefined) env[name] = value;
  }
  return path;
}
