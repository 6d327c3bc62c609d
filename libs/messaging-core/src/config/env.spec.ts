import { ConfigError, EnvConfigError } from '../errors/config-errors';
import { envInteger, envMatching, envOneOf, envPort, envString, envUrl, envUrlList, urlListProblem, urlProblem, type UrlForm } from './env';

/** The EnvConfigError that `read` throws (fails the test if it throws none). */
function refusal(read: () => unknown): EnvConfigError {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(EnvConfigError);
    expect(error).toBeInstanceOf(ConfigError);
    return error as EnvConfigError;
  }
  throw new Error('expected an EnvConfigError, but the value was accepted');
}

const POSTGRES: UrlForm = { schemes: ['postgres:', 'postgresql:'], example: 'postgres://user:password@host:5432/database' };

describe('environment readers', () => {
  describe('envString', () => {
    it('reads a set variable as it is', () => {
      expect(envString({ NAME: ' spaced ' }, 'NAME')).toBe(' spaced ');
    });

    it('counts an empty or missing variable as unset', () => {
      expect(envString({ NAME: '' }, 'NAME')).toBeUndefined();
      expect(envString({}, 'NAME')).toBeUndefined();
    });
  });

  describe('envInteger', () => {
    const range = { min: 1, max: 1000 };

    it.each([
      ['1', 1],
      ['1000', 1000],
      ['0042', 42],
    ])('accepts %p as %p', (value, expected) => {
      expect(envInteger({ N: value }, 'N', range)).toBe(expected);
    });

    it('counts an empty value as unset, so that the caller default applies', () => {
      expect(envInteger({ N: '' }, 'N', range)).toBeUndefined();
    });

    it.each(['abc', '0', '1001', '-1', '2.5', '1e3', '0x10', ' 5', '5 ', '+5', 'NaN', 'Infinity', '99999999999999999999'])(
      'refuses %p, naming the variable, the value and the range',
      (value) => {
        const error = refusal(() => envInteger({ N: value }, 'N', range));

        expect(error.variable).toBe('N');
        expect(error.message).toBe(`N=${JSON.stringify(value)} must be an integer from 1 to 1000`);
      },
    );

    it('accepts negative numbers where the range does', () => {
      expect(envInteger({ N: '-5' }, 'N', { min: -10, max: 10 })).toBe(-5);
    });

    it('says "an integer >= min" for a range without an upper bound', () => {
      expect(refusal(() => envInteger({ N: '0' }, 'N', { min: 1 })).message).toBe('N="0" must be an integer >= 1');
    });
  });

  describe('envPort', () => {
    it('accepts 1 to 65535', () => {
      expect(envPort({ PORT: '1' }, 'PORT')).toBe(1);
      expect(envPort({ PORT: '65535' }, 'PORT')).toBe(65_535);
    });

    it.each(['0', '65536', '70000', 'http'])('refuses PORT=%p', (value) => {
      expect(refusal(() => envPort({ PORT: value }, 'PORT')).message).toBe(
        `PORT=${JSON.stringify(value)} must be an integer from 1 to 65535`,
      );
    });
  });

  describe('envOneOf', () => {
    const formats = ['json', 'pretty'] as const;

    it('accepts a listed value, typed as one of the list', () => {
      const format: 'json' | 'pretty' | undefined = envOneOf({ F: 'pretty' }, 'F', formats);

      expect(format).toBe('pretty');
    });

    it.each(['xml', 'JSON', ' json'])('refuses %p, listing what it accepts', (value) => {
      expect(refusal(() => envOneOf({ F: value }, 'F', formats)).message).toBe(
        `F=${JSON.stringify(value)} must be one of "json", "pretty"`,
      );
    });
  });

  describe('envMatching', () => {
    it('accepts a value matching the pattern and refuses another with the form in words', () => {
      expect(envMatching({ X: 'abc' }, 'X', /^[a-z]+$/, 'lower-case letters')).toBe('abc');
      expect(refusal(() => envMatching({ X: 'ab1' }, 'X', /^[a-z]+$/, 'lower-case letters')).message).toBe(
        'X="ab1" must be lower-case letters',
      );
    });
  });

  describe('envUrl', () => {
    it.each(['postgres://app:pw@db:5432/orders', 'postgresql://db/orders', 'postgres:///orders?host=/var/run/postgresql'])(
      'accepts %p',
      (url) => {
        expect(envUrl({ DATABASE_URL: url }, 'DATABASE_URL', POSTGRES)).toBe(url);
      },
    );

    it('refuses a URL of another scheme, naming the schemes it accepts with an example', () => {
      const error = refusal(() => envUrl({ DATABASE_URL: 'mysql://db/orders' }, 'DATABASE_URL', POSTGRES));

      expect(error.message).toBe(
        'DATABASE_URL="mysql://db/orders" must be a URL starting with postgres:// or postgresql://, e.g. postgres://user:password@host:5432/database (its scheme is mysql:)',
      );
    });

    it('refuses text that is not a URL', () => {
      expect(refusal(() => envUrl({ DATABASE_URL: 'db:5432' }, 'DATABASE_URL', POSTGRES)).message).toMatch(
        /^DATABASE_URL="db:5432" must be a URL starting with postgres:\/\//,
      );
      expect(refusal(() => envUrl({ DATABASE_URL: 'localhost' }, 'DATABASE_URL', POSTGRES)).message).toMatch(/\(it is not a URL\)$/);
    });

    it('never shows the password of a refused URL', () => {
      const error = refusal(() => envUrl({ DATABASE_URL: 'mysql://app:s3cret@db/orders' }, 'DATABASE_URL', POSTGRES));

      expect(error.message).not.toContain('s3cret');
      expect(error.shownValue).toBe('mysql://app:***@db/orders');
    });

    it('names a single scheme without "or"', () => {
      expect(urlProblem('ftp://x', { schemes: ['https:'], example: 'https://collector' })).toBe(
        'must be a URL starting with https://, e.g. https://collector (its scheme is ftp:)',
      );
    });
  });

  describe('envUrlList', () => {
    const AMQP: UrlForm = { schemes: ['amqp:', 'amqps:'], example: 'amqp://guest:guest@127.0.0.1:5672' };

    it('reads one URL as a list of one, and the nodes of a cluster separated by commas, spaces around them dropped', () => {
      expect(envUrlList({ AMQP_URL: 'amqp://a:5672' }, 'AMQP_URL', AMQP)).toEqual(['amqp://a:5672']);
      expect(envUrlList({ AMQP_URL: 'amqp://u:p@a:5672, amqps://u:p@b:5671 ,amqp://c' }, 'AMQP_URL', AMQP)).toEqual([
        'amqp://u:p@a:5672',
        'amqps://u:p@b:5671',
        'amqp://c',
      ]);
      expect(envUrlList({ AMQP_URL: '' }, 'AMQP_URL', AMQP)).toBeUndefined();
    });

    it('words the refusal of a single URL as envUrl does', () => {
      const error = refusal(() => envUrlList({ AMQP_URL: 'http://u:s3cret@a/' }, 'AMQP_URL', AMQP));

      expect(error.message).toBe(
        'AMQP_URL="http://u:***@a/" must be a URL starting with amqp:// or amqps://, e.g. amqp://guest:guest@127.0.0.1:5672 (its scheme is http:)',
      );
    });

    it('names the wrong entry of a list, and hides every password of it', () => {
      const error = refusal(() => envUrlList({ AMQP_URL: 'amqp://u:s3cret@a,redis://u:t0ken@b,amqp://u:s3cret@c' }, 'AMQP_URL', AMQP));

      expect(error.variable).toBe('AMQP_URL');
      expect(error.shownValue).toBe('amqp://u:***@a,redis://u:***@b,amqp://u:***@c');
      expect(error.message).toMatch(/, or several separated by commas \(the 2nd of 3: its scheme is redis:\)$/);
      expect(error.message).not.toMatch(/s3cret|t0ken/);
    });

    it('refuses an empty entry (a stray comma)', () => {
      expect(refusal(() => envUrlList({ AMQP_URL: 'amqp://a,,amqp://b' }, 'AMQP_URL', AMQP)).message).toMatch(
        /\(the 2nd of 3: it is empty\)$/,
      );
      expect(refusal(() => envUrlList({ AMQP_URL: ',' }, 'AMQP_URL', AMQP)).message).toMatch(/\(the 1st of 2: it is empty\)$/);
    });

    it('says what is wrong with a list given in code', () => {
      expect(urlListProblem([], AMQP)).toMatch(/\(there is none\)$/);
      expect(urlListProblem(['amqp://a', 'amqp://b'], AMQP)).toBeUndefined();
      expect(urlListProblem(['amqp://a', 'x'], AMQP)).toMatch(/\(the 2nd of 2: it is not a URL\)$/);
    });
  });

  it('keeps the message on one line and short whatever the value holds', () => {
    const error = refusal(() => envInteger({ N: `12\n${'x'.repeat(500)}` }, 'N', { min: 1, max: 10 }));

    expect(error.message).not.toMatch(/\n/);
    expect(error.message.length).toBeLessThan(160);
  });
});
