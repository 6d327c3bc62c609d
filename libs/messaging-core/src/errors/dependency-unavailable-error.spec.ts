import { DependencyUnavailableError, dependencyOutageOf } from './dependency-unavailable-error';
import { TransientError } from './message-errors';

describe('DependencyUnavailableError', () => {
  it('is a transient error naming its dependency, keeping what caused it', () => {
    const cause = new Error('connect ECONNREFUSED 127.0.0.1:5432');
    const error = new DependencyUnavailableError('database', 'the database cannot be reached', { cause });

    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ name: 'DependencyUnavailableError', dependency: 'database', cause });
  });
});

describe('dependencyOutageOf', () => {
  const outage = new DependencyUnavailableError('redis', 'Redis is unavailable');

  it('finds the outage itself, or in the chain of causes (a query wrapper around the driver)', () => {
    expect(dependencyOutageOf(outage)).toBe(outage);
    const wrapped = new Error('Failed query: rollback', { cause: outage });
    expect(dependencyOutageOf(new Error('handler failed', { cause: wrapped }))).toBe(outage);
  });

  it('finds nothing in other errors and in values that are not errors', () => {
    for (const value of [
      new Error('Connection terminated unexpectedly'),
      new TransientError('busy'),
      'database down',
      undefined,
      null,
      42,
    ]) {
      expect(dependencyOutageOf(value)).toBeUndefined();
    }
  });

  it('stops at a cause that cannot be read, and at a cycle of causes', () => {
    const hostile = new Error('hostile');
    Object.defineProperty(hostile, 'cause', {
      get() {
        throw new Error('no');
      },
    });
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;

    expect(dependencyOutageOf(hostile)).toBeUndefined();
    expect(dependencyOutageOf(a)).toBeUndefined();
  });
});
