// Protects the publish side's validation: an invalid message is refused with every reason, and goes nowhere.
import { IsInt, IsString, Min } from 'class-validator';
import { MessageValidationError } from '@app/messaging-core';
import { resolveMessagingOptions } from '../../options/messaging-options';
import { Publication } from '../publication';
import { PublishValidateStep } from './validate.step';

class OrderPlaced {
  static readonly messageType = 'order.placed';
  static readonly schemaVersion = 1;
  @IsString() orderId!: string;
  @IsInt() @Min(1) quantity!: number;
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
