// Which message class a pattern of the Nest microservices transport names: the class itself, or its type name looked up
// among the classes given to MessagingTransportModule.forRoot({ messages }).
import { Inject, Injectable } from '@nestjs/common';
import { assertMessageClass, MessagingConfigError, type MessageClass } from '@app/messaging-core';
import { TRANSPORT_OPTIONS, type ResolvedTransportOptions } from './transport-options';

@Injectable()
export class MessageCatalogue {
  private readonly byType = new Map<string, MessageClass>();

  constructor(@Inject(TRANSPORT_OPTIONS) options: ResolvedTransportOptions) {
    for (const [index, type] of options.messages.entries()) {
      try {
        assertMessageClass(type);
      } catch (error) {
        throw new MessagingConfigError(`messages[${index}]`, (error as Error).message);
      }
      const other = this.byType.get(type.messageType);
      if (other && other !== type) {
        throw new MessagingConfigError('messages', `${other.name} and ${type.name} both have the type "${type.messageType}"`);
      }
      this.byType.set(type.messageType, type);
    }
  }

  /** The class `pattern` names; throws MessagingConfigError (naming `where`) for a pattern that names none. */
  resolve(pattern: unknown, where: string): MessageClass {
    if (typeof pattern === 'function') {
      try {
        assertMessageClass(pattern);
      } catch (error) {
        throw new MessagingConfigError(where, `the pattern must be a message class or its type name: ${(error as Error).message}`);
      }
      return pattern;
    }
    if (typeof pattern === 'string') {
      const type = this.byType.get(pattern);
      if (type) return type;
      throw new MessagingConfigError(
        where,
        `no message class has the type "${pattern}": pass the class itself as the pattern, or list it in MessagingTransportModule.forRoot({ messages })`,
      );
    }
    throw new MessagingConfigError(where, `the pattern must be a message class or its type name, got ${describePattern(pattern)}`);
  }
}

function describePattern(pattern: unknown): string {
  try {
    return JSON.stringify(pattern) ?? String(pattern);
  } catch {
    return typeof pattern;
  }
}
