import { Type } from 'class-transformer';
import {
  ArrayMinSize,
  IsEmail,
  IsInt,
  IsOptional,
  IsString,
  Min,
  Validate,
  ValidateNested,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { MessageValidationError, TransientError } from '../errors/message-errors';
import { validateMessage } from './validate-message';

class Address {
  @IsString() city!: string;
  @IsString() postcode!: string;
}

class OrderLine {
  @IsString() sku!: string;
  @IsInt() @Min(1) quantity!: number;
}

class CustomerRegistered {
  static readonly messageType = 'customer.registered';
  static readonly schemaVersion = 1;

  @IsString() customerId!: string;
  @IsEmail() email!: string;
  @ValidateNested() @Type(() => Address) address!: Address;
  @IsOptional() @ValidateNested({ each: true }) @ArrayMinSize(1) @Type(() => OrderLine) firstOrder?: OrderLine[];

  greeting(): string {
    return `Welcome, ${this.customerId}`;
  }
}

function customer(): Record<string, unknown> {
  return {
    customerId: 'c-1',
    email: 'ada@example.com',
    address: { city: 'London', postcode: 'N1 9GU' },
    firstOrder: [{ sku: 'BOOK-1', quantity: 2 }],
  };
}

async function validationErrorOf(promise: Promise<unknown>): Promise<MessageValidationError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a MessageValidationError, but the message was valid');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MessageValidationError);
  return error as MessageValidationError;
}

const strip = { unknownFields: 'strip' } as const;
const reject = { unknownFields: 'reject' } as const;

describe('validateMessage', () => {
  it('returns an instance of the message class, nested classes included', async () => {
    const message = await validateMessage(CustomerRegistered, customer(), strip);

    expect(message).toBeInstanceOf(CustomerRegistered);
    expect(message.address).toBeInstanceOf(Address);
    expect(message.firstOrder?.[0]).toBeInstanceOf(OrderLine);
    expect(message.greeting()).toBe('Welcome, c-1');
  });

  it('accepts an instance of the class as it is', async () => {
    const instance = Object.assign(new CustomerRegistered(), customer(), {
      address: Object.assign(new Address(), { city: 'Leeds', postcode: 'LS1' }),
      firstOrder: undefined,
    });

    await expect(validateMessage(CustomerRegistered, instance, strip)).resolves.toBe(instance);
  });

  it('strips fields the class does not declare by default, at every depth', async () => {
    const data = { ...customer(), isAdmin: true, address: { city: 'London', postcode: 'N1 9GU', floor: 3 } };

    const message = await validateMessage(CustomerRegistered, data, strip);

    expect(message).not.toHaveProperty('isAdmin');
    expect(message.address).not.toHaveProperty('floor');
    expect(message.customerId).toBe('c-1');
  });

  it("rejects undeclared fields with unknownFields 'reject', naming each", async () => {
    const data = { ...customer(), isAdmin: true, address: { city: 'London', postcode: 'N1 9GU', floor: 3 } };

    const error = await validationErrorOf(validateMessage(CustomerRegistered, data, reject));

    expect(error.issues).toEqual(
      expect.arrayContaining([
        { path: 'isAdmin', reasons: [expect.stringMatching(/should not exist/)] },
        { path: 'address.floor', reasons: [expect.stringMatching(/should not exist/)] },
      ]),
    );
    expect(error.issues).toHaveLength(2);
  });

  it("accepts a message without undeclared fields with unknownFields 'reject'", async () => {
    await expect(validateMessage(CustomerRegistered, customer(), reject)).resolves.toBeInstanceOf(CustomerRegistered);
  });

  it('reports nested errors with dotted paths, array items by index', async () => {
    const data = {
      ...customer(),
      address: { city: 'London', postcode: 7 },
      firstOrder: [
        { sku: 'BOOK-1', quantity: 2 },
        { sku: 'PEN-7', quantity: 0 },
      ],
    };

    const error = await validationErrorOf(validateMessage(CustomerRegistered, data, strip));

    expect(error.issues.map((issue) => issue.path).sort()).toEqual(['address.postcode', 'firstOrder.1.quantity']);
  });

  it('reports every failing field at once, each with its reasons', async () => {
    const error = await validationErrorOf(
      validateMessage(CustomerRegistered, { customerId: 5, email: 'nope', address: { city: 'London', postcode: 'N1' } }, strip),
    );

    expect(error.issues).toEqual(
      expect.arrayContaining([
        { path: 'customerId', reasons: ['customerId must be a string'] },
        { path: 'email', reasons: ['email must be an email'] },
      ]),
    );
    expect(error.issues).toHaveLength(2);
    expect(error.messageType).toBe('customer.registered');
  });

  it.each<[string, unknown]>([
    ['an array', [customer()]],
    ['a string', '{"customerId":"c-1"}'],
    ['a number', 42],
    ['null', null],
    ['undefined', undefined],
  ])('rejects %s with one issue at (root)', async (_label, data) => {
    const error = await validationErrorOf(validateMessage(CustomerRegistered, data, strip));

    expect(error.issues).toEqual([{ path: '(root)', reasons: ['must be a JSON object'] }]);
  });

  it('says in its message which type failed, at which paths, and why', async () => {
    const data = { ...customer(), email: 'nope', address: { city: 'London', postcode: 7 } };

    const error = await validationErrorOf(validateMessage(CustomerRegistered, data, strip));

    expect(error.message).toMatch(/^customer\.registered is invalid: /);
    expect(error.message).toContain('email: email must be an email');
    expect(error.message).toContain('address.postcode: postcode must be a string');
  });

  it('keeps the invalid values themselves out of the error, as they may be personal data', async () => {
    const email = 'ada.lovelace-at-example.com';
    const postcode = 123_456_789;
    const data = { ...customer(), email, address: { city: 'London', postcode } };

    const error = await validationErrorOf(validateMessage(CustomerRegistered, data, strip));

    const everything = `${error.message} ${JSON.stringify(error.issues)} ${error.stack ?? ''}`;
    expect(everything).not.toContain(email);
    expect(everything).not.toContain(String(postcode));
  });

  it('turns a validator that throws on the data (isEmail on an unpaired surrogate) into a validation error, never a bare URIError', async () => {
    const data = { ...customer(), email: 'ada\ud800@example.com' };

    const error = await validationErrorOf(validateMessage(CustomerRegistered, data, strip));

    expect(error.issues).toEqual([{ path: '(message)', reasons: [expect.stringMatching(/could not be validated: .*URIError/)] }]);
    expect(error.cause).toBeInstanceOf(URIError);
  });

  it("lets a constraint's own TransientError through as it is, to be retried", async () => {
    @ValidatorConstraint({ name: 'lookedUp' })
    class LookedUp implements ValidatorConstraintInterface {
      validate(): boolean {
        throw new TransientError('the directory is down');
      }
    }
    class Checked {
      static readonly messageType = 'checked.thing';
      static readonly schemaVersion = 1;
      @Validate(LookedUp) id!: string;
    }

    await expect(validateMessage(Checked, { id: 'x' }, strip)).rejects.toThrow(TransientError);
  });
});
