import { MessageDecodeError } from '../errors/message-errors';
import { assertKnownSchemaVersion } from './schema-version';

class InvoiceIssued {
  static readonly messageType = 'invoice.issued';
  static readonly schemaVersion = 2;
}

describe('assertKnownSchemaVersion', () => {
  it('accepts the same or an older schema version, and a message without one', () => {
    expect(() => assertKnownSchemaVersion(2, InvoiceIssued)).not.toThrow();
    expect(() => assertKnownSchemaVersion(1, InvoiceIssued)).not.toThrow();
    expect(() => assertKnownSchemaVersion(undefined, InvoiceIssued)).not.toThrow();
  });

  it('refuses a newer schema version as undecodable, naming both versions', () => {
    expect(() => assertKnownSchemaVersion(3, InvoiceIssued)).toThrow(MessageDecodeError);
    expect(() => assertKnownSchemaVersion(3, InvoiceIssued)).toThrow(/schema version 3, newer than the 2/);
  });
});
