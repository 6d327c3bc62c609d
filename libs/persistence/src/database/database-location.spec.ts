import { ConfigError, EnvConfigError, MessagingConfigError } from '@app/messaging';
import { databaseUrlFromEnv, resolveDatabaseLocation } from './database-location';

describe('resolveDatabaseLocation', () => {
  it('uses the embedded database under .data/<service> by default', () => {
    expect(resolveDatabaseLocation({}, 'orders', {})).toEqual({ url: undefined, dataDir: '.data/orders', serviceName: 'orders' });
  });

  it('reads DATABASE_URL and DATA_DIR, with empty values as unset', () => {
    expect(resolveDatabaseLocation({}, 'orders', { DATABASE_URL: 'postgresql://db/orders', DATA_DIR: '/var/lib/orders' })).toMatchObject({
      url: 'postgresql://db/orders',
      dataDir: '/var/lib/orders',
    });
    expect(resolveDatabaseLocation({}, 'orders', { DATABASE_URL: '', DATA_DIR: '' })).toMatchObject({
      url: undefined,
      dataDir: '.data/orders',
    });
  });

  it('lets options given in code win, without reading the variables they replace', () => {
    const location = resolveDatabaseLocation({ url: 'postgres://code/orders', dataDir: 'here' }, 'orders', {
      DATABASE_URL: 'not a url',
      DATA_DIR: 'there',
    });

    expect(location).toMatchObject({ url: 'postgres://code/orders', dataDir: 'here' });
  });

  it.each([
    [
      'mysql://app:s3cret@db/orders',
      '"mysql://app:***@db/orders" must be a URL starting with postgres:// or postgresql://, e.g. postgres://user:password@host:5432/database (its scheme is mysql:)',
    ],
    [
      'db.internal:5432/orders',
      '"db.internal:5432/orders" must be a URL starting with postgres:// or postgresql://, e.g. postgres://user:password@host:5432/database (its scheme is db.internal:)',
    ],
    [
      'orders',
      '"orders" must be a URL starting with postgres:// or postgresql://, e.g. postgres://user:password@host:5432/database (it is not a URL)',
    ],
  ])('refuses DATABASE_URL=%p in one line naming the variable, without its password', (value, rest) => {
    const read = () => resolveDatabaseLocation({}, 'orders', { DATABASE_URL: value });

    expect(read).toThrow(EnvConfigError);
    expect(read).toThrow(`DATABASE_URL=${rest}`);
  });

  it('refuses a url option of another scheme, naming the option', () => {
    const read = () => resolveDatabaseLocation({ url: 'redis://cache' }, 'orders', {});

    expect(read).toThrow(MessagingConfigError);
    expect(read).toThrow(/^Invalid messaging option "DatabaseModule url": "redis:\/\/cache" must be a URL starting with postgres:\/\//);
  });

  it('needs something to name the embedded database folder by', () => {
    expect(() => resolveDatabaseLocation({}, undefined, {})).toThrow(ConfigError);
    expect(resolveDatabaseLocation({}, undefined, { SERVICE_NAME: 'billing' }).dataDir).toBe('.data/billing');
  });
});

describe('databaseUrlFromEnv', () => {
  it('reads DATABASE_URL, for the command line', () => {
    expect(databaseUrlFromEnv({ DATABASE_URL: 'postgres://db/x' })).toBe('postgres://db/x');
    expect(databaseUrlFromEnv({})).toBeUndefined();
  });
});
