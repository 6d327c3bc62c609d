import { maskEmails, maskSensitive, Sensitive } from './sensitive';

class Customer {
  @Sensitive() email!: string;
  @Sensitive() phone!: string;
  name!: string;
}

describe('maskEmails', () => {
  it('keeps the first and last character of the local part and the domain', () => {
    expect(maskEmails('mail bob@example.com and alice.smith@mail.example.org')).toBe('mail b***b@example.com and a***h@mail.example.org');
  });
});

describe('maskSensitive', () => {
  it('masks @Sensitive fields of class instances and plain objects, and addresses in any text', () => {
    const customer = Object.assign(new Customer(), { email: 'bob@example.com', phone: '+44 20 7946 0000', name: 'Bob <bob@example.com>' });

    expect(maskSensitive({ customer, note: 'from ann@example.com', list: [{ email: 'eve@example.com' }] })).toEqual({
      customer: { email: 'b***b@example.com', phone: '***', name: 'Bob <b***b@example.com>' },
      note: 'from a***n@example.com',
      list: [{ email: 'e***e@example.com' }],
    });
  });

  it('leaves whole the objects the caller names, and buffers and dates', () => {
    class Request {
      constructor(readonly url: string) {}
    }
    const req = new Request('/orders?email=bob@example.com');
    const body = Buffer.from('bob@example.com');
    const at = new Date(0);

    const masked = maskSensitive({ req, body, at }, { keepWhole: (value) => value instanceof Request }) as Record<string, unknown>;

    expect(masked.req).toBe(req);
    expect(masked.body).toBe(body);
    expect(masked.at).toBe(at);
  });

  it('masks a value nested 100000 levels deep without overflowing the stack: it stops descending after 8 levels', () => {
    const deep: unknown = JSON.parse(`{"email":"bob@example.com","nested":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);

    const masked = maskSensitive(deep) as { email: string };

    expect(masked.email).toBe('b***b@example.com');
  });
});
