// Frames that amqplib's writer sends in one pass reach the socket as one write instead of one write each.
import type { Writable } from 'node:stream';

/** The parts of amqplib's connection (not part of its typed API) that this relies on. */
interface FrameWriter {
  _readIncoming?: (this: FrameWriter) => void;
}

const COALESCED = Symbol('coalesced frame writes');

/**
 * amqplib queues each channel's frames and writes them to the socket in a later turn, one `write` per message; on
 * loopback or a fast network each of those is a system call that also runs the receiving side's TCP work. Corking the
 * socket for that pass sends what it writes as one `writev`: a burst of publishes (the outbox relay's batch, a
 * handler's events) or of acks costs one system call instead of hundreds. Back-pressure is as before: the socket's
 * `write` still returns false past its high-water mark, and the writer waits for 'drain'.
 *
 * Returns false, changing nothing, when the connection does not have the expected shape (another amqplib version).
 */
export function coalesceFrameWrites(channelModel: unknown): boolean {
  const connection = (channelModel as { connection?: { muxer?: FrameWriter & { [COALESCED]?: true }; stream?: Writable } } | undefined)
    ?.connection;
  const writer = connection?.muxer;
  const socket = connection?.stream;
  if (!writer || !socket || typeof writer._readIncoming !== 'function' || typeof socket.cork !== 'function') return false;
  if (writer[COALESCED]) return true;
  const writePending = writer._readIncoming;
  writer._readIncoming = function coalescedReadIncoming(this: FrameWriter): void {
    socket.cork();
    try {
      writePending.call(this);
    } finally {
      socket.uncork();
    }
  };
  writer[COALESCED] = true;
  return true;
}
