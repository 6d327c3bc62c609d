// Protects how a handler method is called: its parameters, the user's Nest enhancers, and the plain call when it has none.
import {
  Catch,
  createParamDecorator,
  ForbiddenException,
  Injectable,
  UseFilters,
  UseGuards,
  ValidationPipe,
  BadRequestException,
  type ArgumentsHost,
  type CanActivate,
  type ExceptionFilter,
  type ExecutionContext,
  type INestApplication,
  type PipeTransform,
} from '@nestjs/common';
import { EXCEPTION_FILTERS_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { ApplicationConfig, ExternalContextCreator, ModulesContainer } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { IsInt, IsString, Min } from 'class-validator';
import { of, type Observable } from 'rxjs';
import { handlerFor, rawDelivery } from '../../../../test/support/deliveries';
import { MessageContext } from '../consuming/message-context';
import { HandlerInvokerFactory, type HandlerInvoker } from './handler-invoker-factory';
import { MessageHandler } from './message-handler.decorator';
import { Ctx, Payload, type ParamsMetadata } from './message-params';
import { Ctx as NestCtx, EventPattern, MessagePattern, Payload as NestPayload } from '@nestjs/microservices';
import { Controller } from '@nestjs/common';

class OrderPlaced {
  static readonly messageType = 'order.placed';
  static readonly schemaVersion = 1;
  @IsString() orderId!: string;
  @IsInt() @Min(1) quantity!: number;
}

/** A parameter decorator of the user's own, reading the message context as @Ctx() does. */
const QueueName = createParamDecorator(
  (_data: unknown, context: ExecutionContext) => context.switchToRpc().getContext<MessageContext>().queue,
);

class DoubleQuantity implements PipeTransform {
  transform(value: OrderPlaced): OrderPlaced {
    return Object.assign(new OrderPlaced(), value, { quantity: value.quantity * 2 });
  }
}

@Injectable()
class OnlySmallOrders implements CanActivate {
  readonly saw: unknown[] = [];
  canActivate(context: ExecutionContext): boolean {
    const data = context.switchToRpc().getData<OrderPlaced>();
    this.saw.push(data);
    return data.quantity < 100;
  }
}

class OutOfStock extends Error {}

@Catch(OutOfStock)
class ParkOutOfStock implements ExceptionFilter {
  catch(error: OutOfStock, _host: ArgumentsHost): string {
    return `parked: ${error.message}`;
  }
}
const parkOutOfStock = new ParkOutOfStock();

/** An application's catch-all filter, as an HTTP app registers one: it turns any error into a response. */
@Catch()
class RespondWithError implements ExceptionFilter {
  readonly caught: unknown[] = [];
  catch(error: unknown, _host: ArgumentsHost): { statusCode: number } {
    this.caught.push(error);
    return { statusCode: 500 };
  }
}

@Injectable()
class OrderHandlers {
  readonly calls: Array<{ method: string; args: unknown[] }> = [];

  @MessageHandler(OrderPlaced)
  positional(message: OrderPlaced, context: MessageContext): string {
    this.calls.push({ method: 'positional', args: [message, context] });
    return 'positional done';
  }

  @MessageHandler(OrderPlaced)
  swapped(@Ctx() context: MessageContext, @Payload() message: OrderPlaced): void {
    this.calls.push({ method: 'swapped', args: [context, message] });
  }

  /** @nestjs/microservices' own @Payload() and @Ctx(): they mean what the library's do. */
  @MessageHandler(OrderPlaced)
  nestParams(@NestCtx() context: MessageContext, @NestPayload() message: OrderPlaced): void {
    this.calls.push({ method: 'nestParams', args: [context, message] });
  }

  @MessageHandler(OrderPlaced)
  orderIdOnly(@Payload('orderId') orderId: string): void {
    this.calls.push({ method: 'orderIdOnly', args: [orderId] });
  }

  @MessageHandler(OrderPlaced)
  withQueueName(@Payload() message: OrderPlaced, @QueueName() queue: string, @Ctx() context: MessageContext): void {
    this.calls.push({ method: 'withQueueName', args: [message, queue, context] });
  }

  @MessageHandler(OrderPlaced)
  withPipe(@Payload(DoubleQuantity) message: OrderPlaced): void {
    this.calls.push({ method: 'withPipe', args: [message] });
  }

  @MessageHandler(OrderPlaced)
  @UseGuards(OnlySmallOrders)
  guarded(message: OrderPlaced, context: MessageContext): void {
    this.calls.push({ method: 'guarded', args: [message, context] });
  }

  @MessageHandler(OrderPlaced)
  @UseGuards(OnlySmallOrders)
  guardedAndFailing(message: OrderPlaced): void {
    throw new OutOfStock(`no stock for ${message.orderId}`);
  }

  @MessageHandler(OrderPlaced)
  @UseFilters(parkOutOfStock)
  filtered(@Payload('orderId') orderId: string): void {
    throw new OutOfStock(orderId);
  }

  @MessageHandler(OrderPlaced)
  observable(message: OrderPlaced): Observable<string> {
    return of('first', 'second', `last for ${message.orderId}`);
  }

  @MessageHandler(OrderPlaced)
  @UseGuards(OnlySmallOrders)
  guardedObservable(): Observable<string> {
    return of('first', 'last through Nest');
  }
}

type Method = keyof OrderHandlers;

async function startApp(configure: (app: INestApplication) => void = () => undefined) {
  const moduleRef = await Test.createTestingModule({ providers: [OrderHandlers, OnlySmallOrders] }).compile();
  const app = moduleRef.createNestApplication();
  configure(app);
  await app.init();
  const factory = new HandlerInvokerFactory(app.get(ExternalContextCreator), app.get(ApplicationConfig), app.get(ModulesContainer));
  const handlers = app.get(OrderHandlers);
  const invokerOf = (methodName: Method): HandlerInvoker =>
    factory.create(handlerFor(OrderPlaced, { instance: handlers, methodName, name: `OrderHandlers.${methodName}` }));
  return { app, factory, handlers, invokerOf, guard: app.get(OnlySmallOrders) };
}

function order(quantity = 2): OrderPlaced {
  return Object.assign(new OrderPlaced(), { orderId: 'o-1', quantity });
}

function contextFor(): MessageContext {
  return new MessageContext(rawDelivery(OrderPlaced.messageType), 'billing.order.placed', 'OrderHandlers.handle');
}

describe('HandlerInvokerFactory', () => {
  let app: INestApplication;
  let setUp: Awaited<ReturnType<typeof startApp>>;
  let create: jest.SpyInstance;

  beforeAll(async () => {
    setUp = await startApp();
    app = setUp.app;
  });

  beforeEach(() => {
    setUp.handlers.calls.length = 0;
    create = jest.spyOn(ExternalContextCreator.prototype, 'create');
  });

  afterEach(() => create.mockRestore());

  afterAll(async () => {
    await app.close();
  });

  it('calls a method without enhancers or parameter decorators with (message, context), directly and not through Nest', async () => {
    const message = order();
    const context = contextFor();

    const result = await setUp.invokerOf('positional')(message, context);

    expect(create).not.toHaveBeenCalled();
    expect(result).toBe('positional done');
    expect(setUp.handlers.calls).toEqual([{ method: 'positional', args: [message, context] }]);
    expect(setUp.handlers.calls[0].args[0]).toBe(message);
    expect(setUp.handlers.calls[0].args[1]).toBe(context);
  });

  it('hands @Ctx() and @Payload() over in the order the method declares them', async () => {
    const message = order();
    const context = contextFor();

    await setUp.invokerOf('swapped')(message, context);

    expect(setUp.handlers.calls[0].args[0]).toBe(context);
    expect(setUp.handlers.calls[0].args[1]).toBe(message);
  });

  it("hands @nestjs/microservices' @Ctx() the MessageContext and its @Payload() the message, directly", async () => {
    const message = order();
    const context = contextFor();

    await setUp.invokerOf('nestParams')(message, context);

    expect(create).not.toHaveBeenCalled();
    expect(setUp.handlers.calls[0].args[0]).toBe(context);
    expect(setUp.handlers.calls[0].args[1]).toBe(message);
  });

  it("hands @Payload('orderId') the property of the message", async () => {
    await setUp.invokerOf('orderIdOnly')(order(), contextFor());

    expect(setUp.handlers.calls).toEqual([{ method: 'orderIdOnly', args: ['o-1'] }]);
  });

  it("resolves a user's own createParamDecorator beside @Payload() and @Ctx(), reading the message context", async () => {
    const message = order();
    const context = contextFor();

    await setUp.invokerOf('withQueueName')(message, context);

    expect(setUp.handlers.calls[0].args).toEqual([message, 'billing.order.placed', context]);
    expect(setUp.handlers.calls[0].args[2]).toBe(context);
  });

  it('runs the pipe given to @Payload(pipe) on the message', async () => {
    await setUp.invokerOf('withPipe')(order(2), contextFor());

    expect(setUp.handlers.calls[0].args[0]).toEqual(order(4));
  });

  it('calls a method with @UseGuards through Nest: the guard sees the message and may refuse it', async () => {
    const invoke = setUp.invokerOf('guarded');
    const context = contextFor();

    expect(create).toHaveBeenCalledTimes(1);
    await invoke(order(2), context);
    await expect(invoke(order(500), context)).rejects.toThrow(ForbiddenException);

    expect(setUp.guard.saw).toEqual([order(2), order(500)]);
    expect(setUp.handlers.calls).toEqual([{ method: 'guarded', args: [order(2), context] }]);
  });

  it('lets an error no filter of the user catches reach the caller as it is', async () => {
    const invoke = setUp.invokerOf('guardedAndFailing');

    await expect(invoke(order(), contextFor())).rejects.toThrow(OutOfStock);
    await expect(invoke(order(), contextFor())).rejects.toThrow('no stock for o-1');
  });

  it("lets the method's own exception filter handle its error", async () => {
    await expect(setUp.invokerOf('filtered')(order(), contextFor())).resolves.toBe('parked: o-1');
  });

  it('resolves to the last value of an Observable the method returns, directly or through Nest', async () => {
    await expect(setUp.invokerOf('observable')(order(), contextFor())).resolves.toBe('last for o-1');
    await expect(setUp.invokerOf('guardedObservable')(order(), contextFor())).resolves.toBe('last through Nest');
  });

  it("does not rewrite the user's method metadata (parameters, exception filters), however often it builds a call", () => {
    const prototype = OrderHandlers.prototype;
    // A copy of each entry, so that a change made in place would show.
    const routeArgs = (method: Method): ParamsMetadata =>
      Object.fromEntries(
        Object.entries(Reflect.getMetadata(ROUTE_ARGS_METADATA, OrderHandlers, method) as ParamsMetadata).map(([key, entry]) => [
          key,
          { ...entry, pipes: [...(entry.pipes ?? [])] },
        ]),
      );
    const filtersBefore = [...(Reflect.getMetadata(EXCEPTION_FILTERS_METADATA, prototype.filtered) as unknown[])];
    const routeArgsBefore = { filtered: routeArgs('filtered'), withQueueName: routeArgs('withQueueName') };

    for (let i = 0; i < 2; i++) {
      setUp.invokerOf('filtered');
      setUp.invokerOf('withQueueName');
      setUp.invokerOf('guarded');
    }

    expect(Reflect.getMetadata(EXCEPTION_FILTERS_METADATA, prototype.filtered)).toEqual(filtersBefore);
    expect(filtersBefore).toEqual([parkOutOfStock]);
    expect(Reflect.getMetadata(EXCEPTION_FILTERS_METADATA, prototype.guarded)).toBeUndefined();
    expect({ filtered: routeArgs('filtered'), withQueueName: routeArgs('withQueueName') }).toEqual(routeArgsBefore);
    expect(Reflect.getMetadata(ROUTE_ARGS_METADATA, OrderHandlers, 'positional')).toBeUndefined();
  });
});

describe('HandlerInvokerFactory with a global ValidationPipe', () => {
  let setUp: Awaited<ReturnType<typeof startApp>>;

  beforeAll(async () => {
    setUp = await startApp((app) => app.useGlobalPipes(new ValidationPipe()));
  });

  afterAll(async () => {
    await setUp.app.close();
  });

  it("leaves the context parameter alone, positional, @Ctx() or @nestjs/microservices' @Ctx()", async () => {
    const context = contextFor();

    await setUp.invokerOf('positional')(order(), context);
    await setUp.invokerOf('swapped')(order(), context);
    await setUp.invokerOf('nestParams')(order(), context);

    expect(setUp.handlers.calls.map((call) => call.method)).toEqual(['positional', 'swapped', 'nestParams']);
    expect(setUp.handlers.calls[0].args[1]).toBe(context);
    expect(setUp.handlers.calls[1].args[0]).toBe(context);
    expect(setUp.handlers.calls[2].args[0]).toBe(context);
  });

  it('still validates the payload: an invalid message does not reach the method', async () => {
    const calls = setUp.handlers.calls.length;

    await expect(setUp.invokerOf('positional')(order(0), contextFor())).rejects.toThrow(BadRequestException);

    expect(setUp.handlers.calls).toHaveLength(calls);
  });
});

describe('HandlerInvokerFactory with a global exception filter of the application', () => {
  const respondWithError = new RespondWithError();
  let setUp: Awaited<ReturnType<typeof startApp>>;

  beforeAll(async () => {
    setUp = await startApp((app) => app.useGlobalFilters(respondWithError));
  });

  afterAll(async () => {
    await setUp.app.close();
  });

  it("lets a handler's error reach the caller (the outcome step), unseen by the application's filter", async () => {
    await expect(setUp.invokerOf('guardedAndFailing')(order(), contextFor())).rejects.toThrow(OutOfStock);

    expect(respondWithError.caught).toEqual([]);
  });
});

/** A guard given as a class: Nest resolves it in the module of the handler's class, here a controller's. */
@Injectable()
class RecordContextType implements CanActivate {
  readonly types: string[] = [];
  canActivate(context: ExecutionContext): boolean {
    this.types.push(context.getType<string>());
    return true;
  }
}

@Catch(OutOfStock)
class ParkAtClassLevel implements ExceptionFilter {
  catch(error: OutOfStock): string {
    return `parked by the controller: ${error.message}`;
  }
}

@Controller()
@UseFilters(new ParkAtClassLevel())
class OrderPatterns {
  @EventPattern(OrderPlaced)
  @UseGuards(RecordContextType)
  onPlaced(@NestPayload('orderId') orderId: string): string {
    return orderId;
  }

  @MessagePattern(OrderPlaced)
  failing(@NestPayload() message: OrderPlaced): void {
    throw new OutOfStock(message.orderId);
  }

  @MessageHandler(OrderPlaced)
  @UseGuards(RecordContextType)
  failingHandler(message: OrderPlaced): void {
    throw new OutOfStock(message.orderId);
  }
}

describe('HandlerInvokerFactory with pattern handlers on a controller', () => {
  let app: INestApplication;
  let factory: HandlerInvokerFactory;
  let patterns: OrderPatterns;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ controllers: [OrderPatterns], providers: [RecordContextType] }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
    factory = new HandlerInvokerFactory(app.get(ExternalContextCreator), app.get(ApplicationConfig), app.get(ModulesContainer));
    patterns = app.get(OrderPatterns);
  });

  afterAll(async () => {
    await app.close();
  });

  const invokerOf = (methodName: keyof OrderPatterns, kind: 'event' | 'request' | 'message'): HandlerInvoker =>
    factory.create(handlerFor(OrderPlaced, { instance: patterns, methodName, name: `OrderPatterns.${methodName}`, kind }));

  it("runs a guard given as a class (resolved in the controller's module) in an 'rpc' context", async () => {
    await expect(invokerOf('onPlaced', 'event')(order(), contextFor())).resolves.toBe('o-1');

    expect(app.get(RecordContextType).types.at(-1)).toBe('rpc');
  });

  it("applies the controller's exception filters to its pattern handlers, as a Nest microservice does", async () => {
    await expect(invokerOf('failing', 'request')(order(), contextFor())).resolves.toBe('parked by the controller: o-1');
  });

  it("leaves a @MessageHandler's errors to the outcome step, whatever its class's filters (they may answer HTTP)", async () => {
    await expect(invokerOf('failingHandler', 'message')(order(), contextFor())).rejects.toThrow(OutOfStock);
  });
});
