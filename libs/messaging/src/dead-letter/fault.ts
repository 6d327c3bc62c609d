// The fault event published when a message is dead-lettered, so that its producer can compensate.
import { createHash } from 'node:crypto';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsISO8601, IsObject, IsOptional, IsString, Matches, Min, ValidateNested } from 'class-validator';
import type { MessageClass } from '@app/messaging-core';
import { faultMessageType } from '../topology/topology-names';

/** Where the failed message's body is kept, and how to recognise it: on every fault. */
export class FaultOriginal {
  /** The dead-letter queue that holds the message, body byte for byte, under `Fault.messageId`. */
  @IsString() deadLetterQueue!: string;
  /** Size of the body in bytes. */
  @IsInt() @Min(0) bytes!: number;
  /** SHA-256 of the body's bytes, in hex: the dead letter you fetch is the one that failed. */
  @Matches(/^[0-9a-f]{64}$/) sha256!: string;
  /** True when the fault carries the body whole, in `message`. */
  @IsBoolean() carried!: boolean;
}

/**
 * A fault event: a message of type `fault.<type>` was dead-lettered (subscribe with `@MessageHandler(faultOf(T))`).
 *
 * It carries the failed body in `message` when that is a JSON object of at most `faultBodyMaxBytes` (a
 * MessagingModule option, 64 KiB by default) within the input limits; a larger or deeper body is not carried, so that
 * the fault stays a message any consumer accepts. Then `messageExcerpt` holds the body's top-level fields that are
 * short texts, numbers or booleans (the ids a compensation keys on), and `original` says where the whole body is:
 * fetch it with the dead-letter admin API, `GET /admin/dead-letters/<original.deadLetterQueue>/messages/<messageId>`,
 * or `npm run dlq -- show <original.deadLetterQueue> <messageId>`, and check it against `original.sha256`.
 * A compensation reads its key from either: `fault.message?.orderId ?? fault.messageExcerpt?.orderId`.
 */
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
  /** The failed message's body, whole, when it is a JSON object within the fault's limits (see the class's docs). */
  @IsOptional() @IsObject() message?: Record<string, unknown>;
  /** When the body is not carried: its top-level short text, number and boolean fields, if it was a JSON object. */
  @IsOptional() @IsObject() messageExcerpt?: Record<string, unknown>;
  /** Where the body is and how to recognise it. Absent only on faults of library versions before it was added. */
  @IsOptional() @ValidateNested() @Type(() => FaultOriginal) original?: FaultOriginal;
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

/**
 * The message id of the fault event of one dead-lettering: the same each time the same failure is dead-lettered again
 * (a consumer that stopped after sending the fault and before its ack sends it again on the redelivery, under this id,
 * so an @Idempotent consumer of faults acts once), another after a replay (`replays`) or on another queue. A UUID
 * (version 8: derived from a SHA-256 of its parts).
 */
export function faultMessageId(parts: { queue: string; messageId: string; replays: number; attempt: number }): string {
  const hex = createHash('sha256')
    .update(JSON.stringify(['fault', parts.queue, parts.messageId, parts.replays, parts.attempt]))
    .digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
