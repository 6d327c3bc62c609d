// Protects the last step: the handler's invoker gets the validated message and its context, and is awaited.
import { deliveryOf, handlerFor, rawDelivery } from '../../../../../test/support/deliveries';
import type { HandlerDefinition } from '../../handlers/handler-definition';
import type { HandlerInvoker, HandlerInvokerFactory } from '../../handlers/handler-invoker-factory';
import type { Delivery } from '../delivery';
import { InvokeStep } from './invoke.step';

class OrderPlaced {
  static readonly messageType = 'order.placed';
  static readonly schemaVersion = 1;
  orderId!: string;
}

function setup(invoker: HandlerInvoker) {
  const create = jest.fn((_handler: HandlerDefinition): HandlerInvoker => invoker);
  const step = new InvokeStep({ create } as unknown as HandlerInvokerFactory);
  const handler = handlerFor(OrderPlaced);
  const deliver = (): Delivery => {
    const delivery = deliveryOf(handler, rawDelivery(OrderPlaced.messageType));
    delivery.message = Object.assign(new OrderPlaced(), { orderId: 'o-1' });
    return delivery;
  };
  return { step, create, handler, deliver };
}

/** A thenable that is not a Promise, settled by the test. */
function manualThenable() {
  let settle!: (error?: Error) => void;
  const underlying = new Promise<string>((resolve, reject) => {
    settle = (error) => (error ? reject(error) : resolve('done'));
  });
  // Only the step's own handler should matter; this one keeps a step that ignores the thenable from crashing the run.
  underlying.catch(() => undefined);
  const thenable: PromiseLike<string> = { then: (onFulfilled, onRejected) => underlying.then(onFulfilled, onRejected) };
  return { thenable, settle };
}

/** True once `promise` has settled, checked after the pending callbacks have run. */
async function hasSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise<void>((resolve) => setImmediate(resolve));
  return settled;
}

describe('InvokeStep', () => {
  it('builds the invoker of each handler once, when its pipeline is composed', () => {
    const { step, create, handler } = setup(() => undefined);

    expect(step.forHandler(handler)).toBe(step);

    expect(create).toHaveBeenCalledTimes(1);
    expect(create).toHaveBeenCalledWith(handler);
  });

  it('calls the invoker with delivery.message and delivery.context', async () => {
    const invoker = jest.fn<unknown, [object, unknown]>(() => undefined);
    const { step, handler, deliver } = setup(invoker);
    step.forHandler(handler);
    const delivery = deliver();

    await step.handle(delivery);

    expect(invoker).toHaveBeenCalledTimes(1);
    expect(invoker.mock.calls[0][0]).toBe(delivery.message);
    expect(invoker.mock.calls[0][1]).toBe(delivery.context);
  });

  it('returns no promise for a handler that returns a plain value', () => {
    const { step, handler, deliver } = setup(() => 'a value');
    step.forHandler(handler);

    expect(step.handle(deliver())).toBeUndefined();
  });

  it("settles only once the handler's promise has resolved, with nothing", async () => {
    let finish!: () => void;
    const { step, handler, deliver } = setup(() => new Promise<string>((resolve) => (finish = () => resolve('ignored'))));
    step.forHandler(handler);

    const result = step.handle(deliver()) as Promise<void>;

    expect(result).toBeInstanceOf(Promise);
    expect(await hasSettled(result)).toBe(false);
    finish();
    await expect(result).resolves.toBeUndefined();
  });

  it('awaits a thenable that is not a Promise', async () => {
    const { thenable, settle } = manualThenable();
    const { step, handler, deliver } = setup(() => thenable);
    step.forHandler(handler);

    const result = step.handle(deliver()) as Promise<void>;

    expect(result).toBeInstanceOf(Promise);
    expect(await hasSettled(result)).toBe(false);
    settle();
    await expect(result).resolves.toBeUndefined();
  });

  it("throws the handler's synchronous error", () => {
    const { step, handler, deliver } = setup(() => {
      throw new Error('customer was deleted');
    });
    step.forHandler(handler);

    expect(() => step.handle(deliver())).toThrow('customer was deleted');
  });

  it("rejects with the error of the handler's promise or thenable", async () => {
    const rejecting = setup(() => Promise.reject(new Error('database busy')));
    rejecting.step.forHandler(rejecting.handler);
    const { thenable, settle } = manualThenable();
    const failingThenable = setup(() => thenable);
    failingThenable.step.forHandler(failingThenable.handler);

    await expect(rejecting.step.handle(rejecting.deliver())).rejects.toThrow('database busy');
    const result = failingThenable.step.handle(failingThenable.deliver());
    settle(new Error('thenable failed'));
    await expect(result).rejects.toThrow('thenable failed');
  });

  it('fails a delivery for a handler whose invoker was never built, naming the handler', () => {
    const { step, deliver } = setup(() => undefined);

    expect(() => step.handle(deliver())).toThrow('No invoker was built for TestHandler.handle');
  });
});
