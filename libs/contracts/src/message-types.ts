// The catalogue of message contracts: every message class, and its type name under a stable key. The names are
// read from the classes' statics, so each literal is written once, in its class.
import { NotificationSent } from './notifications/notification-sent';
import { OrderCreated } from './orders/order-created';

/** The shape the messaging library reads from a message class (structurally the same as its MessageClass). */
export interface ContractMessageClass {
  new (): object;
  readonly messageType: string;
  readonly schemaVersion: number;
}

export const ALL_MESSAGE_CLASSES = [OrderCreated, NotificationSent] as const satisfies readonly ContractMessageClass[];

export const MESSAGE_TYPES = {
  orderCreated: OrderCreated.messageType,
  notificationSent: NotificationSent.messageType,
} as const;

export type MessageType = (typeof MESSAGE_TYPES)[keyof typeof MESSAGE_TYPES];
