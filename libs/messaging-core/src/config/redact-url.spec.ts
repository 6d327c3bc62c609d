import { redactUrl, redactUrlList } from './redact-url';

describe('redactUrl', () => {
  it('hides the password of a URL', () => {
    expect(redactUrl('amqp://app:s3cret@rabbit:5672/prod')).toBe('amqp://app:***@rabbit:5672/prod');
  });

  it('hides the password of an amqps URL with a percent-encoded password', () => {
    const redacted = redactUrl('amqps://app:p%40ss%2Fw0rd@rabbit.example.com:5671');

    expect(redacted).toBe('amqps://app:***@rabbit.example.com:5671');
  });

  it('leaves a URL without a password as it is', () => {
    expect(redactUrl('amqp://rabbit:5672')).toBe('amqp://rabbit:5672');
    expect(redactUrl('amqp://app@rabbit:5672')).toBe('amqp://app@rabbit:5672');
  });

  it('hides what may be a password in text that is not a URL', () => {
    expect(redactUrl('amqp://app:s3cret@rabbit:notaport')).toBe('amqp://app:***@rabbit:notaport');
  });
});

describe('redactUrlList', () => {
  it('hides the password of each URL of a list', () => {
    expect(redactUrlList('amqp://a:s3cret@n1:5672, amqp://b:t0ken@n2:5672,amqp://n3')).toBe(
      'amqp://a:***@n1:5672,amqp://b:***@n2:5672,amqp://n3',
    );
  });
});
