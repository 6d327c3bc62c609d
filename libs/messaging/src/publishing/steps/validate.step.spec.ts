// Protects the publish side's validation: an invalid message is refused with every reason, and goes nowhere.
import { IsInt, IsObject, IsOptional, IsString, Min } from 'class-validator';
import { MessageValidationError } from '@app/messaging-core';
import { resolveMessagingOptions } from '../../options/messaging-options';
import { Publication } from '../publication';
import { PublishValidateStep } from './validate.step';

class OrderPlaced {
  static readonly messageType = 'order.placed';
  static readonly schemaVersion = 1;
  @IsString() orderId!: string;
  @IsInt() @Min(1) quantity!: number;
  @IsOptional() @IsObject() meta?: Record<string, unknown>;
}

function setup(unknownFields: 'strip' | 'reject' = 'strip') {
  const step = new PublishValidateStep(resolveMessagingOptions({ serviceName: 'svc', unknownFields }, {}));
  const next = jest.fn(async (): Promise<void> => undefined);
  return { step, next };
}

const publicationOf = (data: unknown) => new Publication(OrderPlaced, data, {}, 'broker');

describe('PublishValidateStep', () => {
  it('sets publication.message to a validated instance of the message class before the rest runs', async () => {
    const { step, next } = setup();
    const publication = publicationOf({ orderId: 'o-1', quantity: 2 });
    let seen: object | undefined;
    next.mockImplementation(async () => {
      seen = publication.message;
    });

    await step.handle(publication, next);

    expect(seen).toBeInstanceOf(OrderPlaced);
    expect(seen).toEqual(Object.assign(new OrderPlaced(), { orderId: 'o-1', quantity: 2 }));
  });

  it('refuses an invalid message with MessageValidationError listing every issue, and nothing after it runs', async () => {
    const { step, next } = setup();
    const publication = publicationOf({ orderId: 7, quantity: 0 });

    const error = await step.handle(publication, next).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );

    expect(error).toBeInstanceOf(MessageValidationError);
    expect((error as MessageValidationError).issues.map((issue) => issue.path).sort()).toEqual(['orderId', 'quantity']);
    expect(next).not.toHaveBeenCalled();
    expect(publication.message).toBeUndefined();
  });

  it('refuses data that is not an object', async () => {
    const { step, next } = setup();

    await expect(step.handle(publicationOf('o-1'), next)).rejects.toThrow(MessageValidationError);
    expect(next).not.toHaveBeenCalled();
  });

  it("drops undeclared fields by default, and refuses them when unknownFields is 'reject'", async () => {
    const data = { orderId: 'o-1', quantity: 2, internalNote: 'do not send' };
    const stripping = setup('strip');
    const rejecting = setup('reject');
    const stripped = publicationOf(data);

    await stripping.step.handle(stripped, stripping.next);
    await expect(rejecting.step.handle(publicationOf(data), rejecting.next)).rejects.toThrow(MessageValidationError);

    expect(stripped.message).not.toHaveProperty('internalNote');
    expect(rejecting.next).not.toHaveBeenCalled();
  });
});

describe('PublishValidateStep with input a consumer would refuse', () => {
  async function refusal(data: unknown): Promise<unknown> {
    const { step, next } = setup();
    const error = await step.handle(publicationOf(data), next).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(next).not.toHaveBeenCalled();
    return error;
  }

  function nested(levels: number): Record<string, unknown> {
    let deep: Record<string, unknown> = { leaf: true };
    for (let level = 0; level < levels; level++) deep = { child: deep };
    return deep;
  }

  it('refuses a declared field nested deeper than the limit with a validation error naming where', async () => {
    const error = await refusal({ orderId: 'o-1', quantity: 1, meta: nested(40) });
    expect(error).toBeInstanceOf(MessageValidationError);
    expect((error as MessageValidationError).message).toMatch(/nested deeper than the limit of 32 levels at meta(\.child)+/);
  });

  it('refuses data nested without end in a declared field (a cycle, 100,000 levels) with a validation error, not a stack overflow', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const meta of [cyclic, nested(100_000)]) {
      const error = await refusal({ orderId: 'o-2', quantity: 1, meta });
      expect(error).toBeInstanceOf(MessageValidationError);
    }
  });

  it('refuses a string longer than the limit, as the consumer would', async () => {
    const error = await refusal({ orderId: 'x'.repeat(70_000), quantity: 1 });
    expect(error).toBeInstanceOf(MessageValidationError);
    expect((error as MessageValidationError).issues[0].path).toBe('orderId');
  });

  it('sends an entity whose undeclared fields hold a cycle or a long text: they are not part of the message', async () => {
    const { step, next } = setup();
    const entity: Record<string, unknown> = { orderId: 'o-4', quantity: 1, notes: 'n'.repeat(70_000) };
    entity.customer = { orders: [entity] };
    await step.handle(publicationOf(entity), next);
    expect(next).toHaveBeenCalledTimes(1);
  });
});
