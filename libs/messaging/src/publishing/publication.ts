// One message on its way out through the publish pipeline: what the caller gave, and what each step adds.
import type { MessageClass } from '@app/messaging-core';
import type { OutgoingMessage, PublishOptions } from './outgoing-message';

/** Where the pipeline ends: the broker (with its confirm) or the outbox table (in the caller's transaction). */
export type PublishDestination = 'broker' | 'outbox';

export class Publication {
  /** The validated message (validate step). */
  message: object | undefined;
  /** What goes on the wire (envelope step); later steps may add headers. */
  outgoing: OutgoingMessage | undefined;
  /** How long the send step waits for a connection and the confirm. Default: the module's publishTimeoutMs. */
  timeoutMs: number | undefined;

  constructor(
    readonly type: MessageClass | undefined,
    readonly data: unknown,
    readonly options: PublishOptions,
    readonly destination: PublishDestination,
  ) {}

  /** A message that was validated and enveloped before (an outbox row), to be sent as it is. */
  static enveloped(outgoing: OutgoingMessage, timeoutMs?: number): Publication {
    const publication = new Publication(undefined, undefined, {}, 'broker');
    publication.outgoing = outgoing;
    publication.timeoutMs = timeoutMs;
    return publication;
  }

  /** The enveloped message; throws if a step before the envelope asks for it. */
  get wire(): OutgoingMessage {
    if (!this.outgoing) throw new Error('The message has not been enveloped yet (the envelope step comes first)');
    return this.outgoing;
  }
}
