// Protects how the driver's errors are read: by class, SQLSTATE and socket code, never by their text.
import { DatabaseError } from 'pg';
import { DependencyUnavailableError, EnvConfigError, MessagingConfigError } from '@app/messaging';
import {
  databaseConfigError,
  databaseConfigurationSqlState,
  databaseUnavailable,
  isDatabaseUnavailable,
  sqlStateOf,
} from './postgres-errors';

/** An error of the server, as node-postgres makes it from an ErrorResponse. */
function serverError(code: string, message = `server said ${code}`): DatabaseError {
  const error = new DatabaseError(message, 0, 'error');
  error.code = code;
  error.severity = 'FATAL';
  return error;
}

/** A Node socket error, as net.connect reports it. */
function socketError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, errno: -111, syscall: 'connect' });
}

/** What drizzle throws for a failed query: its own error, the driver's as the cause. */
const drizzleWrapped = (cause: unknown): Error => new Error('Failed query: select 1\nparams: ', { cause });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['57P01', 'terminating connection due to administrator command (a fast shutdown, a restart)'],
    ['57P02', 'terminating connection because of crash of another server process'],
    ['57P03', 'the database system is starting up'],
    ['08006', 'connection failure'],
    ['08001', 'unable to establish a connection'],
    ['53300', 'too many connections'],
  ])('is true for SQLSTATE %s (%s), also wrapped', (code) => {
    expect(isDatabaseUnavailable(serverError(code))).toBe(true);
    expect(isDatabaseUnavailable(drizzleWrapped(serverError(code)))).toBe(true);
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])(
    'is true for the socket error %s',
    (code) => {
      expect(isDatabaseUnavailable(drizzleWrapped(socketError(code)))).toBe(true);
    },
  );

  it('is true for a DependencyUnavailableError of the database, and not of another dependency', () => {
    expect(isDatabaseUnavailable(drizzleWrapped(new DependencyUnavailableError('database', 'lost')))).toBe(true);
    expect(isDatabaseUnavailable(new DependencyUnavailableError('redis', 'lost'))).toBe(false);
  });

  it.each([
    ['23505', 'a unique violation'],
    ['22P02', 'an invalid value'],
    ['42P01', 'a missing table'],
    ['40001', 'a serialization failure'],
    ['57014', 'a statement timeout'],
    ['28P01', 'a wrong password (a configuration error, not an outage)'],
  ])('is false for SQLSTATE %s, %s', (code) => {
    expect(isDatabaseUnavailable(drizzleWrapped(serverError(code)))).toBe(false);
  });

  it('never goes by the text: a message that reads like an outage is not one, a code without a failed call is not either', () => {
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(isDatabaseUnavailable(new Error('connect ECONNREFUSED 127.0.0.1:5432'))).toBe(false);
    expect(isDatabaseUnavailable(Object.assign(new Error('not a socket'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(isDatabaseUnavailable(serverError('23505', 'terminating connection due to administrator command'))).toBe(false);
  });
});

describe('the configuration errors of a database', () => {
  const url = 'postgres://app:s3cret@db.internal:5432/orders';

  it.each(['28P01', '28000', '3D000'])('reads SQLSTATE %s as a configuration error', (code) => {
    expect(databaseConfigurationSqlState(drizzleWrapped(serverError(code)))).toBe(code);
    expect(sqlStateOf(drizzleWrapped(serverError(code)))).toBe(code);
  });

  it('names DATABASE_URL, without its password, with what the server said and its SQLSTATE', () => {
    const error = databaseConfigError(drizzleWrapped(serverError('28P01', 'password authentication failed for user "app"')), url, 'env');

    expect(error).toBeInstanceOf(EnvConfigError);
    expect(error?.message).toBe(
      'DATABASE_URL="postgres://app:***@db.internal:5432/orders" was refused by the database: password authentication failed for user "app" (SQLSTATE 28P01)',
    );
  });

  it('names the url option when the URL came from code', () => {
    const error = databaseConfigError(serverError('3D000', 'database "orders" does not exist'), url, 'option');

    expect(error).toBeInstanceOf(MessagingConfigError);
    expect(error?.message).toMatch(
      /^Invalid messaging option "DatabaseModule url": "postgres:\/\/app:\*\*\*@db.internal:5432\/orders" was refused/,
    );
  });

  it('is no configuration error for an outage or a failed statement', () => {
    expect(databaseConfigError(socketError('ECONNREFUSED'), url, 'env')).toBeUndefined();
    expect(databaseConfigError(serverError('57P03'), url, 'env')).toBeUndefined();
    expect(databaseConfigError(serverError('23505'), url, 'env')).toBeUndefined();
  });
});

describe('databaseUnavailable', () => {
  it('wraps the error as an outage of the database, keeping it as the cause, and keeps one that already is', () => {
    const cause = socketError('ECONNREFUSED');
    const outage = databaseUnavailable(cause, 'the database cannot be reached');

    expect(outage).toMatchObject({
      dependency: 'database',
      cause,
      message: 'the database cannot be reached: connect ECONNREFUSED 127.0.0.1:5432',
    });
    expect(databaseUnavailable(drizzleWrapped(outage))).toBe(outage);
  });
});
