import { acceptCorrelationId, currentCorrelation, newCorrelationId, runWithCorrelation } from './correlation-context';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('runWithCorrelation', () => {
  it('makes the correlation current inside the function', () => {
    const seen = runWithCorrelation({ correlationId: 'c-1', causationId: 'm-0' }, () => currentCorrelation());

    expect(seen).toEqual({ correlationId: 'c-1', causationId: 'm-0' });
  });

  it('keeps the correlation visible across awaits and timers', async () => {
    const seen = await runWithCorrelation({ correlationId: 'c-2' }, async () => {
      await tick();
      await new Promise((resolve) => setTimeout(resolve, 1));
      return currentCorrelation()?.correlationId;
    });

    expect(seen).toBe('c-2');
  });

  it('has no correlation outside of it', async () => {
    expect(currentCorrelation()).toBeUndefined();

    await runWithCorrelation({ correlationId: 'c-3' }, async () => tick());

    expect(currentCorrelation()).toBeUndefined();
  });

  it('keeps concurrent runs apart', async () => {
    const run = (id: string, delay: number) =>
      runWithCorrelation({ correlationId: id }, async () => {
        await new Promise((resolve) => setTimeout(resolve, delay));
        return currentCorrelation()?.correlationId;
      });

    await expect(Promise.all([run('a', 5), run('b', 1), run('c', 3)])).resolves.toEqual(['a', 'b', 'c']);
  });

  it('lets an inner run replace the correlation, and restores the outer one after it', () => {
    const seen = runWithCorrelation({ correlationId: 'outer' }, () => {
      const inner = runWithCorrelation({ correlationId: 'inner' }, () => currentCorrelation()?.correlationId);
      return [inner, currentCorrelation()?.correlationId];
    });

    expect(seen).toEqual(['inner', 'outer']);
  });

  it('returns what the function returns', () => {
    expect(runWithCorrelation({ correlationId: 'c' }, () => 42)).toBe(42);
  });
});

describe('newCorrelationId', () => {
  it('makes a fresh UUID each time, which acceptCorrelationId accepts', () => {
    const a = newCorrelationId();
    const b = newCorrelationId();

    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
    expect(acceptCorrelationId(a)).toBe(a);
  });
});

describe('acceptCorrelationId', () => {
  it.each([
    'abc',
    'req-42',
    '3f2b8c1e-4d5a-4b6c-8d7e-9f0a1b2c3d4e',
    'Root=1-5759e988-bd862e3fe1be46a994272793',
    'svc/orders:42@eu+1=x_y.z',
    'x'.repeat(128),
  ])('keeps the plain id %p', (id) => {
    expect(acceptCorrelationId(id)).toBe(id);
  });

  it.each([
    ['longer than 128 characters', 'x'.repeat(129)],
    ['empty', ''],
    ['with a newline (log injection)', 'abc\nlevel=error msg=forged'],
    ['with a trailing newline', 'abc\n'],
    ['with a carriage return', 'abc\r\nSet-Cookie: x=1'],
    ['with spaces', 'abc def'],
    ['with a comma (two headers joined)', 'abc, def'],
    ['with quotes', '"abc"'],
    ['with angle brackets', '<script>'],
    ['with non-ASCII letters', 'zürich-1'],
  ])('rejects an id %s', (_label, id) => {
    expect(acceptCorrelationId(id)).toBeUndefined();
  });

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['a number', 42],
    ['an array of ids', ['a', 'b']],
  ])('rejects %s', (_label, candidate) => {
    expect(acceptCorrelationId(candidate)).toBeUndefined();
  });
});
