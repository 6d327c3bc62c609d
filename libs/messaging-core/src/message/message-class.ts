// What makes a class a message: a constructor plus its type name and schema version, as static fields.

/**
 * A message class. Declare the type and version as statics:
 *
 *   export class OrderCreated {
 *     static readonly messageType = 'order.created';
 *     static readonly schemaVersion = 1;
 *     @IsUUID() orderId!: string;
 *   }
 */
export interface MessageClass<T extends object = object> {
  new (): T;
  readonly messageType: string;
  readonly schemaVersion: number;
  /**
   * The field whose value orders the messages of this type (`static readonly orderingKey = 'orderId'`): a publisher
   * writes it as the message's ordering key, and an ordered handler (`@MessageHandler(T, { ordered: true })`) handles
   * the messages of one key in publish order. Optional.
   */
  readonly orderingKey?: string;
}

/** The data fields of a message (its methods left out): what a publisher is given. */
export type MessageData<T> = {
  [K in keyof T as T[K] extends (...args: never[]) => unknown ? never : K]: T[K];
};

const TYPE_PATTERN = /^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)*$/;

/** Checks the statics of a message class; used where a class is first seen (decorator, publisher). */
export function assertMessageClass(type: unknown): asserts type is MessageClass {
  if (typeof type !== 'function') throw new TypeError('A message class is required');
  const candidate = type as unknown as Partial<MessageClass> & { name?: string };
  const name = candidate.name ?? 'anonymous class';
  if (typeof candidate.messageType !== 'string' || !TYPE_PATTERN.test(candidate.messageType)) {
    throw new TypeError(`${name} needs a static messageType of dot-separated lowercase words (e.g. "order.created")`);
  }
  if (!Number.isInteger(candidate.schemaVersion) || (candidate.schemaVersion as number) < 1) {
    throw new TypeError(`${name} needs a static schemaVersion, an integer >= 1`);
  }
  if (candidate.orderingKey !== undefined && (typeof candidate.orderingKey !== 'string' || candidate.orderingKey === '')) {
    throw new TypeError(`${name}'s static orderingKey must name one of its fields (e.g. "orderId")`);
  }
}
