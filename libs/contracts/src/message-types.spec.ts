// Specs for the message catalogue: MESSAGE_TYPES and ALL_MESSAGE_CLASSES agree, and every class follows the
// naming rules of the messaging library.
import { ALL_MESSAGE_CLASSES, MESSAGE_TYPES } from './message-types';
import { NotificationSent } from './notifications/notification-sent';
import { OrderCreated } from './orders/order-created';

// The rule libs/messaging applies to messageType (assertMessageClass); repeated here so a contract that breaks it
// fails in this library's tests rather than when a service starts.
const TYPE_PATTERN = /^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)*$/;

describe('MESSAGE_TYPES', () => {
  it('maps each key to the type name its class declares', () => {
    expect(MESSAGE_TYPES.orderCreated).toBe(OrderCreated.messageType);
    expect(MESSAGE_TYPES.notificationSent).toBe(NotificationSent.messageType);
    expect(MESSAGE_TYPES.orderCreated).toBe('order.created');
  });

  it('lists exactly the type names of ALL_MESSAGE_CLASSES', () => {
    const fromClasses = ALL_MESSAGE_CLASSES.map((type) => type.messageType);

    expect([...Object.values(MESSAGE_TYPES)].sort()).toEqual([...fromClasses].sort());
  });
});

describe('ALL_MESSAGE_CLASSES', () => {
  it('gives each message class its own type name', () => {
    const names = ALL_MESSAGE_CLASSES.map((type) => type.messageType);

    expect(new Set(names).size).toBe(names.length);
  });

  it.each(ALL_MESSAGE_CLASSES.map((type) => [type.name, type] as const))(
    '%s follows the messaging library convention for messageType and schemaVersion',
    (_name, type) => {
      expect(type.messageType).toMatch(TYPE_PATTERN);
      expect(Number.isInteger(type.schemaVersion) && type.schemaVersion >= 1).toBe(true);
    },
  );
});
