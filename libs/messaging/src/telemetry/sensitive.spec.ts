import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
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

  it('leaves HTTP requests and responses whole, for their log serializers', () => {
    const req = new IncomingMessage(new Socket());
    const res = new ServerResponse(req);

    const masked = maskSensitive({ req, res }) as { req: unknown; res: unknown };

    expect(masked.req).toBe(req);
    expect(masked.res).toBe(res);
  });
});
