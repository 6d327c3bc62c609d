// Protects how a pattern names its message class: the class itself, or its type name among the classes given.
import { MessagingConfigError } from '@app/messaging-core';
import { MessageCatalogue } from './message-catalogue';
import { resolveTransportOptions } from './transport-options';

class OrderPlaced {
  static readonly messageType = 'order.placed';
  static readonly schemaVersion = 1;
}

class OrderPlacedAgain {
  static readonly messageType = 'order.placed';
  static readonly schemaVersion = 2;
}

const catalogue = (messages: unknown[] = [OrderPlaced]) => new MessageCatalogue(resolveTransportOptions({ messages: messages as never }));

describe('MessageCatalogue', () => {
  it('resolves a message class to itself, and a type name to its class', () => {
    expect(catalogue([]).resolve(OrderPlaced, 'here')).toBe(OrderPlaced);
    expect(catalogue().resolve('order.placed', 'here')).toBe(OrderPlaced);
  });

  it('refuses, naming where and what to do, a type name it was not given, a class that is no message class, or another pattern', () => {
    expect(() => catalogue().resolve('order.cancelled', 'OrdersController.cancel pattern')).toThrow(
      new MessagingConfigError(
        'OrdersController.cancel pattern',
        'no message class has the type "order.cancelled": pass the class itself as the pattern, or list it in MessagingTransportModule.forRoot({ messages })',
      ),
    );
    expect(() => catalogue().resolve(class NotAMessage {}, 'here')).toThrow(
      /must be a message class or its type name: NotAMessage needs a static messageType/,
    );
    expect(() => catalogue().resolve({ cmd: 'sum' }, 'here')).toThrow(/must be a message class or its type name, got {"cmd":"sum"}/);
  });

  it('refuses at start a list with something else than a message class, or two classes of one type', () => {
    expect(() => catalogue([OrderPlaced, 'order.placed'])).toThrow(/Invalid messaging option "messages\[1\]"/);
    expect(() => catalogue([OrderPlaced, OrderPlacedAgain])).toThrow(/OrderPlaced and OrderPlacedAgain both have the type "order.placed"/);
    expect(() => catalogue([OrderPlaced, OrderPlaced])).not.toThrow();
  });

  it('checks the request timeout at start', () => {
    expect(resolveTransportOptions({})).toEqual({ messages: [], requestTimeoutMs: 5000 });
    expect(() => resolveTransportOptions({ requestTimeoutMs: 0 })).toThrow(/"requestTimeoutMs": must be an integer from 1/);
  });
});
