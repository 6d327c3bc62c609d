import { ConfigError, EnvConfigError } from '@app/messaging-core';
import { resolveTracing } from './start-tracing';

describe('resolveTracing', () => {
  it('exports nothing and names the service by default', () => {
    expect(resolveTracing({ serviceName: 'orders' }, {})).toEqual({ endpoint: undefined, serviceName: 'orders' });
  });

  it('reads OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_SERVICE_NAME, with empty values as unset', () => {
    expect(
      resolveTracing(
        { serviceName: 'orders' },
        { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector.example.com:4318', OTEL_SERVICE_NAME: 'orders-eu' },
      ),
    ).toEqual({
      endpoint: 'https://collector.example.com:4318',
      serviceName: 'orders-eu',
    });
    expect(resolveTracing({ serviceName: 'orders' }, { OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_SERVICE_NAME: '' })).toEqual({
      endpoint: undefined,
      serviceName: 'orders',
    });
  });

  it.each([
    ['collector', '(it is not a URL)'],
    ['otel-collector:4318', '(its scheme is otel-collector:)'],
    ['grpc://otel-collector:4317', '(its scheme is grpc:)'],
  ])('refuses OTEL_EXPORTER_OTLP_ENDPOINT=%p in one line naming the variable and the accepted form', (value, why) => {
    const read = () => resolveTracing({ serviceName: 'orders' }, { OTEL_EXPORTER_OTLP_ENDPOINT: value });

    expect(read).toThrow(EnvConfigError);
    expect(read).toThrow(
      `OTEL_EXPORTER_OTLP_ENDPOINT=${JSON.stringify(value)} must be a URL starting with http:// or https://, e.g. http://otel-collector:4318 ${why}`,
    );
  });

  it('lets the option win over the variable, and names the option when it is wrong', () => {
    expect(
      resolveTracing({ serviceName: 'orders', otlpEndpoint: 'http://local:4318' }, { OTEL_EXPORTER_OTLP_ENDPOINT: 'nonsense' }).endpoint,
    ).toBe('http://local:4318');
    expect(() => resolveTracing({ serviceName: 'orders', otlpEndpoint: 'local:4318' }, {})).toThrow(ConfigError);
    expect(() => resolveTracing({ serviceName: 'orders', otlpEndpoint: 'local:4318' }, {})).toThrow(
      /^Invalid tracing option "otlpEndpoint"/,
    );
  });
});
