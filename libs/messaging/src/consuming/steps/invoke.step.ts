// Step "invoke", the last: calls the handler method with the validated message and its context, through the user's
// guards, interceptors, pipes and filters when it has any (see HandlerInvokerFactory, which builds each call once).
// What it returns is kept on the delivery (the reply step answers a request with it).
import { Injectable } from '@nestjs/common';
import type { HandlerDefinition } from '../../handlers/handler-definition';
import { HandlerInvokerFactory, type HandlerInvoker } from '../../handlers/handler-invoker-factory';
import type { ConsumeStep } from '../consume-step';
import type { Delivery } from '../delivery';

@Injectable()
export class InvokeStep implements ConsumeStep {
  private readonly invokers = new WeakMap<HandlerDefinition, HandlerInvoker>();

  constructor(private readonly factory: HandlerInvokerFactory) {}

  forHandler(handler: HandlerDefinition): ConsumeStep {
    this.invokers.set(handler, this.factory.create(handler));
    return this;
  }

  handle(delivery: Delivery): void | Promise<void> {
    const invoke = this.invokers.get(delivery.handler);
    if (!invoke) throw new Error(`No invoker was built for ${delivery.handler.name}`);
    const result = invoke(delivery.message as object, delivery.context);
    if (!isThenable(result)) {
      delivery.result = result;
      return;
    }
    return Promise.resolve(result).then((value) => {
      delivery.result = value;
    });
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
