import { UnauthorizedException, type ExecutionContext } from '@nestjs/common';
import { AdminTokenGuard } from './admin-token.guard';
import { resolveAdminOptions } from './admin.module';

function contextWith(headers: Record<string, string | undefined>): ExecutionContext {
  return { switchToHttp: () => ({ getRequest: () => ({ headers }) }) } as unknown as ExecutionContext;
}

function refusal(guard: AdminTokenGuard, headers: Record<string, string | undefined>): string {
  try {
    guard.canActivate(contextWith(headers));
  } catch (error) {
    expect(error).toBeInstanceOf(UnauthorizedException);
    return (error as UnauthorizedException).message;
  }
  throw new Error('the guard let the request in');
}

describe('AdminTokenGuard', () => {
  const guard = new AdminTokenGuard({ token: 's3cret-token' });

  it('lets in a request that presents the configured bearer token', () => {
    expect(guard.canActivate(contextWith({ authorization: 'Bearer s3cret-token' }))).toBe(true);
  });

  it('accepts the scheme in any case, as RFC 7235 asks', () => {
    expect(guard.canActivate(contextWith({ authorization: 'bearer s3cret-token' }))).toBe(true);
  });

  it('refuses a request without an Authorization header, saying what is missing', () => {
    expect(refusal(guard, {})).toMatch(/Missing "Authorization: Bearer/);
  });

  it('refuses a header that is not a bearer token', () => {
    expect(refusal(guard, { authorization: 'Basic czNjcmV0LXRva2Vu' })).toMatch(/Missing/);
  });

  it.each([
    ['a wrong token of the same length', 'Bearer s3cret-tokeX'],
    ['a shorter token', 'Bearer s3cret'],
    ['a longer token', 'Bearer s3cret-token-and-more'],
  ])('refuses %s', (_label, authorization) => {
    expect(refusal(guard, { authorization })).toBe('Wrong admin token');
  });

  it('refuses every request, even one with a token, while no admin token is configured', () => {
    const disabled = new AdminTokenGuard({ token: undefined });

    expect(refusal(disabled, { authorization: 'Bearer anything' })).toMatch(/disabled until ADMIN_TOKEN/);
    expect(refusal(disabled, { authorization: 'Bearer ' })).toMatch(/disabled until ADMIN_TOKEN/);
  });
});

describe('the admin token option', () => {
  it('comes from ADMIN_TOKEN unless given, and an empty one leaves the admin API disabled', () => {
    const env = { ADMIN_TOKEN: 'from-env' };

    expect(resolveAdminOptions({}, env).token).toBe('from-env');
    expect(resolveAdminOptions({ token: 'given' }, env).token).toBe('given');
    expect(resolveAdminOptions({ token: '' }, env).token).toBeUndefined();
    expect(resolveAdminOptions({}, {}).token).toBeUndefined();
  });
});

describe('the admin scope option', () => {
  it("is 'service' unless given, so a service's token reaches only its own queues", () => {
    expect(resolveAdminOptions({}, {}).scope).toBe('service');
    expect(resolveAdminOptions({ scope: 'vhost' }, {}).scope).toBe('vhost');
  });

  it('refuses a scope it does not know, naming the option', () => {
    expect(() => resolveAdminOptions({ scope: 'everything' as 'vhost' }, {})).toThrow(
      /Invalid admin option "scope": must be one of "service", "vhost"/,
    );
  });
});

describe('the admin console option', () => {
  it('is on unless false, and refuses anything but a boolean, naming the option', () => {
    expect(resolveAdminOptions({}, {}).console).toBe(true);
    expect(resolveAdminOptions({ console: false }, {}).console).toBe(false);
    expect(() => resolveAdminOptions({ console: 'yes' as unknown as boolean }, {})).toThrow(
      /Invalid admin option "console": must be true or false/,
    );
  });
});
