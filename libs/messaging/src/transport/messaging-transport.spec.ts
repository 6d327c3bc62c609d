// Protects the transport strategy's part: the handlers Nest hands over (addHandler) join the module's consumers once,
// when Nest calls listen(); a handler Nest hands over that cannot be consumed stops the start with the reason.
import 'reflect-metadata';
import type { AmqpConnection } from '../connection/amqp-connection';
import type { ConsumerSupervisor } from '../consuming/consumer-supervisor';
import type { HandlerDefinition } from '../handlers/handler-definition';
import { MESSAGING_TRANSPORT, MessagingTransport } from './messaging-transport';
import type { PatternHandlerEntry, PatternHandlerExplorer } from './pattern-handler-explorer';

class ParcelShipped {
  static readonly messageType = 'parcel.shipped';
  static readonly schemaVersion = 1;
}

const definition = (name: string) => ({ name, queue: `parcels.${name}` }) as unknown as HandlerDefinition;

function setup(entries: PatternHandlerEntry[]) {
  const explore = jest.fn((_transport: symbol) => entries);
  const add = jest.fn((_handlers: readonly HandlerDefinition[]) => Promise.resolve());
  const connection = {} as AmqpConnection;
  const transport = new MessagingTransport(
    { explore } as unknown as PatternHandlerExplorer,
    { add } as unknown as ConsumerSupervisor,
    connection,
  );
  const listen = () => new Promise<unknown>((resolve) => transport.listen((error) => resolve(error)));
  return { transport, explore, add, listen, connection };
}

const handler = Object.assign(() => undefined, {});

describe('MessagingTransport', () => {
  it('has its own transport id, so that a handler may be bound to it alone', () => {
    expect(setup([]).transport.transportId).toBe(MESSAGING_TRANSPORT);
  });

  it('hands the consumers the handlers Nest registered, once however often listen() is called, then calls back', async () => {
    const shipped = { pattern: ParcelShipped, definition: definition('shipped') };
    const quote = { pattern: 'quote.requested', definition: definition('quote') };
    const { transport, add, explore, listen } = setup([shipped, quote]);
    transport.addHandler(ParcelShipped, handler as never, true);
    transport.addHandler('quote.requested', handler as never, false);

    await expect(listen()).resolves.toBeUndefined();
    await expect(listen()).resolves.toBeUndefined();

    expect(explore).toHaveBeenCalledWith(MESSAGING_TRANSPORT);
    expect(add).toHaveBeenCalledTimes(1);
    expect(add).toHaveBeenCalledWith([shipped.definition, quote.definition]);
  });

  it('leaves out a handler Nest did not register with it', async () => {
    const { add, listen } = setup([{ pattern: ParcelShipped, definition: definition('shipped') }]);

    await listen();

    expect(add).toHaveBeenCalledWith([]);
  });

  it('calls back with the reason when Nest registered a handler it cannot consume (a request-scoped controller)', async () => {
    const { transport, add, listen } = setup([]);
    transport.addHandler('quote.requested', handler as never, false);

    const error = await listen();

    expect(String(error)).toMatch(/the handler of "quote.requested" cannot be consumed: its controller is request-scoped/);
    expect(add).not.toHaveBeenCalled();
  });

  it("calls back with the supervisor's refusal (two handlers of one queue)", async () => {
    const { transport, add, listen } = setup([{ pattern: ParcelShipped, definition: definition('shipped') }]);
    transport.addHandler(ParcelShipped, handler as never, true);
    add.mockRejectedValueOnce(new Error('handlers A and B both consume "parcels.parcel.shipped"'));

    expect(String(await listen())).toMatch(/both consume/);
  });

  it('shares the module connection (unwrap), and has nothing of its own to close', () => {
    const { transport, connection } = setup([]);
    expect(transport.unwrap()).toBe(connection);
    expect(transport.close()).toBeUndefined();
  });
});
