import { assertMessageClass } from './message-class';

describe('assertMessageClass', () => {
  it('accepts a class with a dotted lowercase type and an integer version >= 1', () => {
    class OrderCreated {
      static readonly messageType = 'order.created';
      static readonly schemaVersion = 1;
    }

    expect(() => assertMessageClass(OrderCreated)).not.toThrow();
  });

  it.each(['order', 'order.created', 'order-line.item-added', 'v2.order.created', 'a.b.c.d'])(
    'accepts the message type %p',
    (messageType) => {
      expect(() => assertMessageClass(Object.assign(class {}, { messageType, schemaVersion: 1 }))).not.toThrow();
    },
  );

  it.each(['Order.Created', 'order created', 'order..created', '.order', 'order.', 'order.*', 'order.#', 'order_created', '-order', ''])(
    'rejects the message type %p, naming the class and the rule',
    (messageType) => {
      class BadType {}
      Object.assign(BadType, { messageType, schemaVersion: 1 });

      expect(() => assertMessageClass(BadType)).toThrow(/^BadType needs a static messageType of dot-separated lowercase words/);
    },
  );

  it('rejects a class without a messageType', () => {
    class NoType {
      static readonly schemaVersion = 1;
    }

    expect(() => assertMessageClass(NoType)).toThrow(TypeError);
    expect(() => assertMessageClass(NoType)).toThrow(/NoType needs a static messageType/);
  });

  it.each<[string, unknown]>([
    ['missing', undefined],
    ['0', 0],
    ['fractional', 1.5],
    ['text', '1'],
  ])('rejects a schemaVersion that is %s', (_label, schemaVersion) => {
    class Versioned {}
    Object.assign(Versioned, { messageType: 'order.created', schemaVersion });

    expect(() => assertMessageClass(Versioned)).toThrow(/Versioned needs a static schemaVersion, an integer >= 1/);
  });

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['a plain object with the statics', { messageType: 'order.created', schemaVersion: 1 }],
    ['a string', 'order.created'],
  ])('rejects %s: a message class is required', (_label, candidate) => {
    expect(() => assertMessageClass(candidate)).toThrow('A message class is required');
  });
});
