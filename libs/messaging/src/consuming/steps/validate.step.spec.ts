// Protects the validation of a consumed message: an instance of the handler's class, or MessageValidationError listing why not.
import { IsInt, IsString, Min } from 'class-validator';
import { MessageValidationError } from '@app/messaging-core';
import { deliveryOf, handlerFor, rawDelivery } from '../../../../../test/support/deliveries';
import { resolveMessagingOptions } from '../../options/messaging-options';
import type { Delivery } from '../delivery';
import { ValidateStep } from './validate.step';

class OrderPlaced {
  static readonly messageType = 'order.placed';
  static readonly schemaVersion = 1;
  @IsString() orderId!: string;
  @IsInt() @Min(1) quantity!: number;
}

function setup(unknownFields: 'strip' | 'reject' = 'strip') {
  const step = new ValidateStep(resolveMessagingOptions({ serviceName: 'svc', unknownFields }, {}));
  const next = jest.fn((): void | Promise<void> => undefined);
  // The decode step has read the body already.
  const deliver = (body: unknown): Delivery => {
    const delivery = deliveryOf(handlerFor(OrderPlaced), rawDelivery(OrderPlaced.messageType));
    delivery.body = body;
    return delivery;
  };
  return { step, next, deliver };
}

async function validationErrorOf(run: () => void | Promise<void>): Promise<MessageValidationError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(MessageValidationError);
    return error as MessageValidationError;
  }
  throw new Error('expected a MessageValidationError');
}

describe('ValidateStep', () => {
  it("sets delivery.message to an instance of the handler's class before the rest runs", async () => {
    const { step, next, deliver } = setup();
    const delivery = deliver({ orderId: 'o-1', quantity: 2 });
    let seen: object | undefined;
    next.mockImplementation(() => {
      seen = delivery.message;
    });

    await step.handle(delivery, next);

    expect(seen).toBeInstanceOf(OrderPlaced);
    expect(seen).toEqual(Object.assign(new OrderPlaced(), { orderId: 'o-1', quantity: 2 }));
  });

  it('returns what the rest returns for a valid message, without a promise of its own', () => {
    const { step, next, deliver } = setup();

    expect(step.handle(deliver({ orderId: 'o-1', quantity: 2 }), next)).toBeUndefined();
    const rest = Promise.resolve();
    next.mockReturnValue(rest);
    expect(step.handle(deliver({ orderId: 'o-1', quantity: 2 }), next)).toBe(rest);
  });

  it('fails an invalid message with MessageValidationError listing every issue, and the rest does not run', async () => {
    const { step, next, deliver } = setup();
    const delivery = deliver({ orderId: 42, quantity: 0 });

    const error = await validationErrorOf(() => step.handle(delivery, next));

    expect(error.messageType).toBe('order.placed');
    expect(error.issues.map((issue) => issue.path).sort()).toEqual(['orderId', 'quantity']);
    expect(error.issues.find((issue) => issue.path === 'quantity')?.reasons).toEqual(['quantity must not be less than 1']);
    expect(next).not.toHaveBeenCalled();
    expect(delivery.message).toBeUndefined();
  });

  it('drops fields the class does not declare, by default', async () => {
    const { step, next, deliver } = setup('strip');
    const delivery = deliver({ orderId: 'o-1', quantity: 2, couponCode: 'SPRING' });

    await step.handle(delivery, next);

    expect(next).toHaveBeenCalledTimes(1);
    expect(delivery.message).not.toHaveProperty('couponCode');
  });

  it("fails a message with undeclared fields when unknownFields is 'reject', naming the field", async () => {
    const { step, next, deliver } = setup('reject');

    const error = await validationErrorOf(() => step.handle(deliver({ orderId: 'o-1', quantity: 2, couponCode: 'SPRING' }), next));

    expect(error.issues.map((issue) => issue.path)).toEqual(['couponCode']);
    expect(next).not.toHaveBeenCalled();
  });
});
