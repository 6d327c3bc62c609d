// Replays one dead letter with a body an operator edited, checked first against the contract of the handler that
// failed it (the message class of the handler of the queue it failed in): refused with every reason when invalid.
import { Inject, Injectable } from '@nestjs/common';
import { checkMessage, MessageValidationError, type MessageClass, type ValidationIssue } from '@app/messaging-core';
import { ConsumerSupervisor } from '../consuming/consumer-supervisor';
import { MESSAGING_OPTIONS } from '../messaging.constants';
import type { ResolvedMessagingOptions } from '../options/messaging-options';
import { MessageHeaders, TopologyNames } from '../topology/topology-names';
import { DeadLetterAdmin, originalQueueOf, type ReplayResult } from './dead-letter-admin';
import { readEditedBody } from './edited-body';

/** A handler of this service as the dead-letter tools see it: where it consumes, and the contract it holds messages to. */
export interface HandlerContract {
  /** `Class.method`. */
  handler: string;
  queue: string;
  deadLetterQueue: string;
  messageType: string;
  schemaVersion: number;
  messageClass: MessageClass;
}

/** An edited body that the handler's contract (or the consumer's input limits) would refuse; nothing was sent. */
export class DeadLetterEditRefusedError extends Error {
  override readonly name: string = 'DeadLetterEditRefusedError';
  constructor(
    message: string,
    readonly issues: ValidationIssue[],
  ) {
    super(message);
  }
}

@Injectable()
export class DeadLetterEditor {
  constructor(
    private readonly admin: DeadLetterAdmin,
    private readonly supervisor: ConsumerSupervisor,
    private readonly names: TopologyNames,
    @Inject(MESSAGING_OPTIONS) private readonly options: ResolvedMessagingOptions,
  ) {}

  /** Every handler of the application, in the order it declares them. */
  handlers(): HandlerContract[] {
    return [...this.contracts().values()];
  }

  /** The handler of a queue, named by the queue or by its dead-letter queue. */
  contractOf(queue: string): HandlerContract | undefined {
    const contracts = this.contracts();
    return contracts.get(queue) ?? [...contracts.values()].find((contract) => contract.deadLetterQueue === queue);
  }

  /**
   * Sends `text` (JSON) in place of the dead letter's body to the queue it failed in, as its handler's message type
   * and current schema version, and removes the dead letter once the copy is confirmed. A value left exactly as the
   * masked view showed it keeps its original value. Throws DeadLetterEditRefusedError (nothing sent, the dead letter
   * stays) when the body is not a JSON object within the input limits, or does not satisfy the handler's class.
   */
  replayEdited(deadLetterQueue: string, messageId: string, text: string): Promise<ReplayResult> {
    return this.admin.replayEdited(deadLetterQueue, messageId, async (letter) => {
      const target = originalQueueOf(letter);
      const contract = target === undefined ? undefined : this.contracts().get(target);
      if (!contract) {
        const reason = `no handler of this service consumes "${target ?? '(unknown queue)'}", so its contract is not known here`;
        throw new DeadLetterEditRefusedError(`The edited body cannot be checked: ${reason}`, [{ path: '(message)', reasons: [reason] }]);
      }
      const read = readEditedBody(text, parsedOrUndefined(letter.content), this.options.limits);
      if ('issues' in read) throw refusal(contract, read.issues);
      try {
        await checkMessage(contract.messageClass, read.body, { unknownFields: this.options.unknownFields });
      } catch (error) {
        if (error instanceof MessageValidationError) throw refusal(contract, error.issues);
        throw error;
      }
      return {
        content: read.content,
        messageType: contract.messageType,
        headers: { [MessageHeaders.schemaVersion]: contract.schemaVersion },
      };
    });
  }

  private contracts(): Map<string, HandlerContract> {
    // Asked each time: the transport adds its handlers when the microservice listens, after the application started.
    return new Map(
      this.supervisor.consumedHandlers.map((handler) => [
        handler.queue,
        {
          handler: handler.name,
          queue: handler.queue,
          deadLetterQueue: this.names.deadLetterQueue(handler.queue),
          messageType: handler.messageClass.messageType,
          schemaVersion: handler.messageClass.schemaVersion,
          messageClass: handler.messageClass,
        },
      ]),
    );
  }
}

function refusal(contract: HandlerContract, issues: ValidationIssue[]): DeadLetterEditRefusedError {
  const text = issues.map((issue) => `${issue.path}: ${issue.reasons.join(', ')}`).join('; ');
  return new DeadLetterEditRefusedError(
    `The edited body is not a valid ${contract.messageType} v${contract.schemaVersion}: ${text}`,
    issues,
  );
}

function parsedOrUndefined(content: Buffer): unknown {
  try {
    return JSON.parse(content.toString('utf8'));
  } catch {
    return undefined;
  }
}
