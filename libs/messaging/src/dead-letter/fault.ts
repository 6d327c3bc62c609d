// The fault event published when a message is dead-lettered, so that its producer can compensate.
import { IsIn, IsInt, IsISO8601, IsObject, IsOptional, IsString, Min } from 'class-validator';
import type { MessageClass } from '@app/messaging-core';
import { faultMessageType } from '../topology/topology-names';

export class Fault {
  @IsString() messageId!: string;
  @IsString() messageType!: string;
  @IsString() correlationId!: string;
  @IsString() queue!: string;
  @IsString() handler!: string;
  @IsIn(['validation', 'permanent', 'transient', 'exhausted', 'redelivery-limit']) errorType!: string;
  @IsString() errorMessage!: string;
  @IsInt() @Min(1) attempts!: number;
  @IsISO8601({ strict: true }) failedAt!: string;
  /** The failed message's body when it was a JSON object (absent for undecodable bodies). */
  @IsOptional() @IsObject() message?: Record<string, unknown>;
}

const faultClasses = new Map<string, MessageClass<Fault>>();

/** The fault message class of a message type: type `fault.<message-type>`, so handlers can subscribe to it. */
export function faultOf(type: MessageClass | string): MessageClass<Fault> {
  const failedType = typeof type === 'string' ? type : type.messageType;
  const messageType = faultMessageType(failedType);
  let faultClass = faultClasses.get(messageType);
  if (!faultClass) {
    faultClass = class extends Fault {
      static readonly messageType = messageType;
      static readonly schemaVersion = 1;
    };
    Object.defineProperty(faultClass, 'name', { value: `Fault<${failedType}>` });
    faultClasses.set(messageType, faultClass);
  }
  return faultClass;
}
