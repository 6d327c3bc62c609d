import { EnvConfigError, MessagingConfigError } from '@app/messaging';
import { DEFAULT_REDIS_URL, resolveRedisUrl } from './redis-idempotency.module';

describe('resolveRedisUrl', () => {
  it('takes the option, else REDIS_URL, else the local default', () => {
    expect(resolveRedisUrl({ url: 'rediss://cache:6380' }, { REDIS_URL: 'redis://other' })).toBe('rediss://cache:6380');
    expect(resolveRedisUrl({}, { REDIS_URL: 'redis://cache:6379/2' })).toBe('redis://cache:6379/2');
    expect(resolveRedisUrl({}, { REDIS_URL: '' })).toBe(DEFAULT_REDIS_URL);
  });

  it('refuses a REDIS_URL of another scheme in one line naming the variable, without its password', () => {
    const read = () => resolveRedisUrl({}, { REDIS_URL: 'http://user:s3cret@cache:6379' });

    expect(read).toThrow(EnvConfigError);
    expect(read).toThrow(
      'REDIS_URL="http://user:***@cache:6379/" must be a URL starting with redis:// or rediss://, e.g. redis://127.0.0.1:6379 (its scheme is http:)',
    );
  });

  it('refuses a REDIS_URL that is not a URL', () => {
    expect(() => resolveRedisUrl({}, { REDIS_URL: 'cache' })).toThrow(/^REDIS_URL="cache" must be a URL .*\(it is not a URL\)$/);
  });

  it('names the option for a wrong url given in code', () => {
    expect(() => resolveRedisUrl({ url: 'memcached://cache' }, {})).toThrow(MessagingConfigError);
    expect(() => resolveRedisUrl({ url: 'memcached://cache' }, {})).toThrow(/^Invalid messaging option "redis url"/);
  });
});
