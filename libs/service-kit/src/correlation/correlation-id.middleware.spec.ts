import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { currentCorrelation } from '@app/messaging';
import { CorrelationIdMiddleware } from './correlation-id.middleware';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Exchange {
  responseHeaders: Record<string, unknown>;
  /** The correlation that was current while next() ran, or null if next() was not called. */
  seenByNext: ReturnType<typeof currentCorrelation> | null;
}

/** Runs the middleware on a request with `headers`, with tiny stand-ins for Node's request and response. */
function handle(headers: IncomingMessage['headers']): Exchange {
  const exchange: Exchange = { responseHeaders: {}, seenByNext: null };
  const req = { headers } as IncomingMessage;
  const res = Object.assign(new EventEmitter(), {
    setHeader(name: string, value: unknown) {
      exchange.responseHeaders[name.toLowerCase()] = value;
      return res;
    },
  }) as unknown as ServerResponse;

  new CorrelationIdMiddleware().use(req, res, () => {
    exchange.seenByNext = currentCorrelation();
  });
  return exchange;
}

describe('CorrelationIdMiddleware', () => {
  it('keeps a good incoming X-Correlation-Id and returns it in the response', () => {
    const { responseHeaders, seenByNext } = handle({ 'x-correlation-id': 'req-42' });

    expect(responseHeaders['x-correlation-id']).toBe('req-42');
    expect(seenByNext).toEqual({ correlationId: 'req-42' });
  });

  it('makes a fresh UUID when the request has no correlation id', () => {
    const { responseHeaders, seenByNext } = handle({});

    expect(responseHeaders['x-correlation-id']).toMatch(UUID);
    expect(seenByNext?.correlationId).toBe(responseHeaders['x-correlation-id']);
  });

  it.each([
    ['a newline', 'abc\nforged-log-line'],
    ['spaces', 'not a plain id'],
    ['too many characters', 'x'.repeat(129)],
  ])('replaces an incoming id with %s by a fresh UUID', (_label, incoming) => {
    const { responseHeaders, seenByNext } = handle({ 'x-correlation-id': incoming });

    expect(responseHeaders['x-correlation-id']).toMatch(UUID);
    expect(seenByNext?.correlationId).toBe(responseHeaders['x-correlation-id']);
  });

  it('gives each request without an id its own', () => {
    const first = handle({}).responseHeaders['x-correlation-id'];
    const second = handle({}).responseHeaders['x-correlation-id'];

    expect(first).not.toBe(second);
  });

  it('runs the rest of the request inside the correlation, and only it', async () => {
    const seenLater: Array<string | undefined> = [];
    const req = { headers: { 'x-correlation-id': 'req-7' } } as unknown as IncomingMessage;
    const res = Object.assign(new EventEmitter(), { setHeader: () => res }) as unknown as ServerResponse;
    let finished!: Promise<void>;

    new CorrelationIdMiddleware().use(req, res, () => {
      finished = (async () => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        seenLater.push(currentCorrelation()?.correlationId);
      })();
    });
    await finished;

    expect(seenLater).toEqual(['req-7']);
    expect(currentCorrelation()).toBeUndefined();
  });

  it('calls next exactly once, without an error', () => {
    const next = jest.fn();
    const res = Object.assign(new EventEmitter(), { setHeader: () => res }) as unknown as ServerResponse;

    new CorrelationIdMiddleware().use({ headers: {} } as IncomingMessage, res, next);

    expect(next).toHaveBeenCalledTimes(1);
    expect(next).toHaveBeenCalledWith();
  });
});
