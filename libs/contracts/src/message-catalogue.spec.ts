// The message catalogue: it lists exactly the message classes of the library's files (so a new class file that
// was not registered with `npm run contracts:write` fails here, saying so), and every class follows the naming
// rules of the messaging library.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_MESSAGE_CLASSES } from './message-catalogue';
import { discoverMessages, renderCatalogue } from './schema/message-discovery';

// The rule libs/messaging-core applies to messageType (assertMessageClass); repeated here so a contract that breaks
// it fails in this library's tests rather than when a service starts.
const TYPE_PATTERN = /^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)*$/;

describe('the message catalogue', () => {
  it('is what `npm run contracts:write` makes of the message class files today', () => {
    const written = readFileSync(join(__dirname, 'message-catalogue.ts'), 'utf8');
    const expected = renderCatalogue(discoverMessages());
    if (written !== expected) {
      throw new Error(
        `libs/contracts/src/message-catalogue.ts is out of date: run \`npm run contracts:write\` and commit it.\n\nExpected:\n${expected}`,
      );
    }
    expect(written).toBe(expected);
  });

  it('lists the same classes as the files export', () => {
    expect(ALL_MESSAGE_CLASSES.map((type) => type.name).sort()).toEqual(
      discoverMessages()
        .map((found) => found.type.name)
        .sort(),
    );
  });

  it('gives each message class and version its own type name', () => {
    const names = ALL_MESSAGE_CLASSES.map((type) => `${type.messageType}@${type.schemaVersion}`);

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

describe('discoverMessages', () => {
  it('finds the sample contracts in their domain folders, and no field type', () => {
    expect(discoverMessages().map(({ module, exportName }) => `${module}#${exportName}`)).toEqual([
      'notifications/notification-sent#NotificationSent',
      'notifications/notification-status-request#NotificationStatusRequest',
      'orders/order-created#OrderCreated',
      'orders/order-notification-overdue#OrderNotificationOverdue',
    ]);
  });
});
