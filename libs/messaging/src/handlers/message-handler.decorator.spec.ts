import 'reflect-metadata';
import type { MessageClass } from '@app/messaging-core';
import { MESSAGE_HANDLER_METADATA } from '../messaging.constants';
import { MessageHandler, type MessageHandlerMetadata } from './message-handler.decorator';

class OrderCreated {
  static readonly messageType = 'order.created';
  static readonly schemaVersion = 1;
}

describe('@MessageHandler', () => {
  it('records the message class on the decorated method', () => {
    class OrderHandler {
      @MessageHandler(OrderCreated)
      onOrder(): void {}
    }

    const metadata = Reflect.getMetadata(MESSAGE_HANDLER_METADATA, OrderHandler.prototype.onOrder) as MessageHandlerMetadata;

    expect(metadata).toEqual({ messageClass: OrderCreated });
  });

  it('records the queue and prefetch options with it', () => {
    class OrderHandler {
      @MessageHandler(OrderCreated, { queue: 'billing.orders', prefetch: 3 })
      onOrder(): void {}
    }

    expect(Reflect.getMetadata(MESSAGE_HANDLER_METADATA, OrderHandler.prototype.onOrder)).toEqual({
      messageClass: OrderCreated,
      queue: 'billing.orders',
      prefetch: 3,
    });
  });

  it('marks only the decorated method', () => {
    class OrderHandler {
      @MessageHandler(OrderCreated)
      onOrder(): void {}

      helper(): void {}
    }

    expect(Reflect.getMetadata(MESSAGE_HANDLER_METADATA, OrderHandler.prototype.helper)).toBeUndefined();
  });

  it('keeps the method callable as before', () => {
    class OrderHandler {
      @MessageHandler(OrderCreated)
      onOrder(id: string): string {
        return `handled ${id}`;
      }
    }

    expect(new OrderHandler().onOrder('o-1')).toBe('handled o-1');
  });

  it('fails when the class is declared, for a message class without statics', () => {
    class NotAMessage {}

    expect(() => {
      class BrokenHandler {
        @MessageHandler(NotAMessage as unknown as MessageClass)
        onIt(): void {}
      }
      return BrokenHandler;
    }).toThrow(/NotAMessage needs a static messageType/);
  });

  it('fails when the class is declared, for a message class with a bad type name', () => {
    class BadName {
      static readonly messageType = 'Order Created';
      static readonly schemaVersion = 1;
    }

    expect(() => {
      class BrokenHandler {
        @MessageHandler(BadName)
        onIt(): void {}
      }
      return BrokenHandler;
    }).toThrow(TypeError);
  });
});
