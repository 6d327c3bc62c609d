// Acks the deliveries of one channel, coalescing them: the settled deliveries at the front of the channel's unacked
// ones go as a single ack with `multiple` (one frame, one socket write, one broker operation), once per event-loop
// turn. A delivery settled behind one still in its handler is acked alone, at once, so a slow handler never holds
// back the acks (and the prefetch slots) of the messages after it.
import type { ConsumeMessage } from 'amqplib';

export interface AckChannel {
  ack(message: ConsumeMessage, allUpTo?: boolean): void;
}

const enum State {
  /** In its handler. */
  Open,
  /** Settled as acked; the ack is not sent yet. */
  Ready,
  /** Acked alone, or given back (nack): no longer outstanding at the broker. */
  Done,
}

interface Entry {
  raw: ConsumeMessage;
  state: State;
}

/**
 * A delivery's entry, kept on the delivery itself. Not a WeakMap of deliveries: each WeakMap entry costs the garbage
 * collector work, for every message. Per batcher, since a delivery of a replaced channel belongs to the old one.
 */
type Tracked = ConsumeMessage & { [key: symbol]: Entry | undefined };

export class AckBatcher {
  /** Deliveries in the order the broker sent them (delivery tags ascending); `head` is the oldest not yet done. */
  private entries: Entry[] = [];
  private head = 0;
  private readonly entryKey = Symbol('ack-batcher entry');
  private scheduled = false;
  private discarded = false;

  constructor(
    private readonly channel: AckChannel,
    private readonly schedule: (flush: () => void) => void = (flush) => setImmediate(flush),
  ) {}

  /** Records a delivery as it arrives, before its handler runs. */
  received(raw: ConsumeMessage): void {
    const entry = { raw, state: State.Open };
    this.entries.push(entry);
    (raw as Tracked)[this.entryKey] = entry;
  }

  /** Acks `raw` (sent with the next flush). */
  ack(raw: ConsumeMessage): void {
    const entry = (raw as Tracked)[this.entryKey];
    if (!entry) {
      this.channel.ack(raw);
      return;
    }
    if (entry.state !== State.Open) return;
    entry.state = State.Ready;
    if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(() => this.flush());
    }
  }

  /** `raw` leaves the batch without an ack (it was nacked): later acks must not count on it. */
  release(raw: ConsumeMessage): void {
    const entry = (raw as Tracked)[this.entryKey];
    if (entry && entry.state === State.Open) entry.state = State.Done;
  }

  /** The channel is gone (its unacked deliveries go back to the queue): nothing more is sent. */
  discard(): void {
    this.discarded = true;
  }

  /** Number of deliveries received and not yet acked or released. */
  get outstanding(): number {
    let count = 0;
    for (let i = this.head; i < this.entries.length; i++) if (this.entries[i].state !== State.Done) count++;
    return count;
  }

  /** Sends the acks settled so far: one `multiple` ack for the settled front, single acks for the rest. */
  flush(): void {
    this.scheduled = false;
    if (this.discarded) return;
    const { entries } = this;
    let last: Entry | undefined;
    let count = 0;
    while (this.head < entries.length && entries[this.head].state !== State.Open) {
      const entry = entries[this.head++];
      if (entry.state === State.Ready) {
        last = entry;
        count++;
      }
      entry.state = State.Done;
    }
    if (last) this.channel.ack(last.raw, count > 1);
    for (let i = this.head; i < entries.length; i++) {
      const entry = entries[i];
      if (entry.state === State.Ready) {
        this.channel.ack(entry.raw, false);
        entry.state = State.Done;
      }
    }
    if (this.head > 1024 && this.head * 2 > entries.length) {
      this.entries = entries.slice(this.head);
      this.head = 0;
    }
  }
}
