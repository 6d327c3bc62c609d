import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, EnvConfigError } from '@app/messaging-core';
import { loadEnvFile } from './load-env-file';

describe('loadEnvFile', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'load-env-file-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('fills the variables the environment lacks from .env in the working directory', () => {
    writeFileSync(join(dir, '.env'), '# a comment\nAMQP_URL=amqp://rabbit:5672\nLOG_FORMAT="pretty"\nEMPTY=\n');
    const env: NodeJS.ProcessEnv = {};

    expect(loadEnvFile({ env, cwd: dir })).toBe(join(dir, '.env'));

    expect(env).toEqual({ AMQP_URL: 'amqp://rabbit:5672', LOG_FORMAT: 'pretty', EMPTY: '' });
  });

  it('keeps a value the environment already has, even an empty one', () => {
    writeFileSync(join(dir, '.env'), 'PORT=4000\nLOG_LEVEL=debug\n');
    const env: NodeJS.ProcessEnv = { PORT: '5000', LOG_LEVEL: '' };

    loadEnvFile({ env, cwd: dir });

    expect(env).toEqual({ PORT: '5000', LOG_LEVEL: '' });
  });

  it('reads nothing, and says so, when there is no .env', () => {
    const env: NodeJS.ProcessEnv = {};

    expect(loadEnvFile({ env, cwd: dir })).toBeUndefined();
    expect(env).toEqual({});
  });

  it('reads the file ENV_FILE names instead, relative to the working directory', () => {
    writeFileSync(join(dir, '.env'), 'PORT=1\n');
    writeFileSync(join(dir, 'staging.env'), 'PORT=2\n');
    const env: NodeJS.ProcessEnv = { ENV_FILE: 'staging.env' };

    loadEnvFile({ env, cwd: dir });

    expect(env.PORT).toBe('2');
  });

  it('reads no file with ENV_FILE=/dev/null', () => {
    writeFileSync(join(dir, '.env'), 'PORT=1\n');
    const env: NodeJS.ProcessEnv = { ENV_FILE: '/dev/null' };

    loadEnvFile({ env, cwd: dir });

    expect(env.PORT).toBeUndefined();
  });

  it('counts an empty ENV_FILE as unset', () => {
    writeFileSync(join(dir, '.env'), 'PORT=1\n');
    const env: NodeJS.ProcessEnv = { ENV_FILE: '' };

    loadEnvFile({ env, cwd: dir });

    expect(env.PORT).toBe('1');
  });

  it('refuses an ENV_FILE that names no file, in one line naming the variable', () => {
    const env: NodeJS.ProcessEnv = { ENV_FILE: 'prod.env' };

    expect(() => loadEnvFile({ env, cwd: dir })).toThrow(EnvConfigError);
    expect(() => loadEnvFile({ env, cwd: dir })).toThrow('ENV_FILE="prod.env" must name a readable file of NAME=value lines (ENOENT)');
  });

  it('refuses a .env that exists but cannot be read as a file', () => {
    // A folder named .env: there, but not a file.
    mkdirSync(join(dir, '.env'));

    expect(() => loadEnvFile({ env: {}, cwd: dir })).toThrow(ConfigError);
    expect(() => loadEnvFile({ env: {}, cwd: dir })).toThrow(/\.env cannot be read \(EISDIR\); fix it, or set ENV_FILE=\/dev\/null/);
  });
});
