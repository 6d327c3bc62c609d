// On a cluster, a classic queue lives on one node: while that node is down the broker refuses to declare it, or bind
// it (404, "home node ... is down or inaccessible"), and closes the channel that asked. The library's classic queues
// (dead-letter queues, delay.unroutable) must not stop a consumer from coming back on another node: their
// declarations go through a short-lived channel of their own, and a refusal is logged and skipped. Everything else
// (exchanges, quorum queues, their bindings) is declared on the channel being set up, as before.
import { Logger } from '@nestjs/common';
import type { Channel } from 'amqplib';
import type { AmqpConnection } from '../connection/amqp-connection';
import { errorMessage } from '../dead-letter/dead-letter-headers';

/** The declaring calls the topology makes (see Topology). */
export type DeclaringChannel = Pick<Channel, 'assertExchange' | 'assertQueue' | 'bindQueue' | 'bindExchange'>;

const logger = new Logger('Messaging');

/** `channel`, with the declarations and bindings of classic queues made apart, and skipped while their node is down. */
export function clusterTolerantChannel(channel: DeclaringChannel, connection: AmqpConnection): DeclaringChannel {
  const classic = new Set<string>();
  const apart = async <T>(queue: string, work: (temporary: Channel) => Promise<T>): Promise<T | undefined> => {
    try {
      return await connection.withTemporaryChannel(work);
    } catch (error) {
      if ((error as { code?: unknown }).code !== 404) throw error;
      logger.warn({ event: 'topology.queue_unavailable', queue, reason: errorMessage(error) });
      return undefined;
    }
  };
  return {
    assertExchange: (...args) => channel.assertExchange(...args),
    bindExchange: (...args) => channel.bindExchange(...args),
    assertQueue: async (queue, options) => {
      const type = (options?.arguments as Record<string, unknown> | undefined)?.['x-queue-type'];
      if (type !== 'classic' || !queue) return channel.assertQueue(queue, options);
      classic.add(queue);
      return (await apart(queue, (temporary) => temporary.assertQueue(queue, options))) ?? { queue, messageCount: 0, consumerCount: 0 };
    },
    bindQueue: async (queue, source, pattern, args) => {
      if (!classic.has(queue)) return channel.bindQueue(queue, source, pattern, args);
      return (await apart(queue, (temporary) => temporary.bindQueue(queue, source, pattern, args))) ?? {};
    },
  };
}
