// The sabotages `npm run prove` applies, one at a time: for each row of the README's guarantee table (`row` is the
// row's name in the table's "proved by sabotage" column), a small deliberate break of the code that holds it, and the
// test the README names for that row, which must fail. `find` must occur exactly once in `file`.
export interface Sabotage {
  row: string;
  /** What is broken, in a few words. */
  name: string;
  file: string;
  find: string;
  replace: string;
  /** The spec file(s) the README names for the row (run with `filter` as jest -t, when given). */
  tests: string[];
  filter?: string;
  /** A fault spec: runs with jest.faults.config.js, on a RabbitMQ node of the proof's own. */
  faults?: boolean;
  /** Part of `npm run prove -- --quick` (npm test). */
  quick?: boolean;
}

const SEND_STEP = 'libs/messaging/src/publishing/steps/send.step.ts';
const DB_INBOX = 'libs/persistence/src/inbox/database-idempotency-store.ts';
const OUTBOX_RELAY = 'libs/persistence/src/outbox/outbox-relay.ts';

export const SABOTAGES: Sabotage[] = [
  {
    row: 'publish confirm',
    name: 'a publish resolves before its confirm',
    file: SEND_STEP,
    find: 'await this.getChannel().publish(outgoing.exchange,',
    replace: 'void this.getChannel().publish(outgoing.exchange,',
    tests: ['libs/messaging/test/round-trip.int-spec.ts'],
    filter: 'broker nacks|does not have',
    quick: true,
  },
  {
    row: 'publish confirm',
    name: 'an invalid message is sent, then refused',
    file: 'libs/messaging/src/publishing/steps/validate.step.ts',
    find: `    publication.message = await checkMessage(publication.type, publication.data, this.validation);
    return next();`,
    replace: `    publication.message = publication.data as object;
    await next();
    await checkMessage(publication.type, publication.data, this.validation);`,
    tests: ['libs/messaging/test/round-trip.int-spec.ts'],
    filter: 'refuses an invalid message',
  },
  {
    row: 'reconnect',
    name: 'a publish whose confirm the lost connection took is failed, not sent again',
    file: SEND_STEP,
    find: 'if (this.closed || this.connection.refusedSince(refusals) || Date.now() >= deadline) throw error;',
    replace: 'throw error;',
    tests: ['libs/messaging/test/reconnect.int-spec.ts'],
  },
  {
    row: 'poison input',
    name: 'a message failing validation is retried as transient',
    file: 'libs/messaging/src/errors/classify-error.ts',
    find: "if (error instanceof MessageValidationError || error instanceof MessageDecodeError) return 'validation';",
    replace: "if (error instanceof MessageValidationError || error instanceof MessageDecodeError) return 'transient';",
    tests: ['libs/messaging/test/retry-and-dead-letter.int-spec.ts'],
    filter: 'poison input on its first delivery',
  },
  {
    row: 'retries bounded',
    name: 'attempts are never used up',
    file: 'libs/messaging/src/consuming/outcome.ts',
    find: "if (attempt >= policy.retry.maxAttempts) return { action: 'dead-letter', reason: 'exhausted', error };",
    replace: '',
    tests: ['libs/messaging/test/retry-and-dead-letter.int-spec.ts'],
    filter: 'attempts are used up',
  },
  {
    row: 'retries bounded',
    name: 'a permanent error is retried',
    file: 'libs/messaging/src/errors/classify-error.ts',
    find: "if (error instanceof PermanentError) return 'permanent';",
    replace: "if (error instanceof PermanentError) return 'transient';",
    tests: ['libs/messaging/test/retry-and-dead-letter.int-spec.ts'],
    filter: 'permanent error after one attempt',
  },
  {
    row: 'crash loop',
    name: 'redeliveries are not counted against the limit',
    file: 'libs/messaging/src/consuming/envelope.ts',
    find: 'if (context.redeliveries > maxRedeliveries) {',
    replace: 'if (context.redeliveries > maxRedeliveries * 1000) {',
    tests: ['libs/messaging/test/retry-and-dead-letter.int-spec.ts'],
    filter: 'keeps redelivering',
  },
  {
    row: 'delay ladder',
    name: 'the delay is dropped: redelivered at once',
    file: 'libs/messaging/src/retry/delay-route.ts',
    find: 'routingKey: delayRoutingKey(delayMs / 1000, queue)',
    replace: 'routingKey: delayRoutingKey(0, queue)',
    tests: ['libs/messaging/test/delay-ladder.int-spec.ts'],
    filter: 'overtake',
    quick: true,
  },
  {
    row: 'inbox',
    name: 'a failed handler commits its write and its mark',
    file: DB_INBOX,
    find: `              if (await savepoint.settled()) await tx.execute(ROLLBACK_TO_SAVEPOINT);
              await tx.delete(inbox).where(and(eq(inbox.consumer, claim.consumer), eq(inbox.messageKey, claim.key)));`,
    replace: '              await savepoint.settled();',
    tests: ['libs/persistence/test/inbox.int-spec.ts'],
    filter: 'PostgreSQL inbox leaves no mark',
    quick: true,
  },
  {
    row: 'inbox',
    name: 'a duplicate runs the handler again',
    file: DB_INBOX,
    find: 'if (!fresh.has(claimKey(claim.consumer, claim.key))) {',
    replace: 'if (fresh.size < 0) {',
    tests: ['libs/persistence/test/inbox.int-spec.ts'],
    filter: 'PGlite inbox makes one effect',
  },
  {
    row: 'inbox batching',
    name: 'two deliveries of a key share a batch',
    file: DB_INBOX,
    find: '    if (keys.has(key)) break;',
    replace: '',
    tests: ['libs/persistence/test/inbox-batching.int-spec.ts'],
    filter: 'two deliveries of a key|second delivery of a key',
  },
  {
    row: 'inbox batching',
    name: 'a failing handler keeps its writes (no savepoint rollback)',
    file: DB_INBOX,
    find: '              if (await savepoint.settled()) await tx.execute(ROLLBACK_TO_SAVEPOINT);',
    replace: '              await savepoint.settled();',
    tests: ['libs/persistence/test/inbox-batching.int-spec.ts'],
    filter: 'rolls back only the failing handler',
  },
  {
    row: 'redis store',
    name: 'a failed handler leaves its mark',
    file: 'libs/persistence/src/inbox/redis-idempotency-store.ts',
    find: '      await this.redis.del(key).catch(() => undefined);',
    replace: '      await this.markDone(key, claim.ttlMs);',
    tests: ['libs/persistence/test/redis-idempotency-store.int-spec.ts'],
    filter: 'leaves no mark when the handler fails',
  },
  {
    row: 'coalesced writes',
    name: 'writes are not coalesced',
    file: 'libs/messaging/src/connection/coalesced-writes.ts',
    find: "if (!writer || !socket || typeof writer._readIncoming !== 'function' || typeof socket.cork !== 'function') return false;",
    replace: 'return false;',
    tests: ['libs/messaging/test/coalesced-writes.int-spec.ts'],
  },
  {
    row: 'coalesced acks',
    name: 'a released (nacked) delivery is acked',
    file: 'libs/messaging/src/consuming/ack-batcher.ts',
    find: 'if (entry && entry.state === State.Open) entry.state = State.Done;',
    replace: 'if (entry && entry.state === State.Open) entry.state = State.Ready;',
    tests: ['libs/messaging/src/consuming/ack-batcher.spec.ts'],
    quick: true,
  },
  {
    row: 'inbox crash',
    name: 'the mark is ignored: a redelivery runs the handler again',
    file: DB_INBOX,
    find: 'if (!fresh.has(claimKey(claim.consumer, claim.key))) {',
    replace: 'if (fresh.size < 0) {',
    tests: ['libs/persistence/test/inbox-crash.int-spec.ts'],
  },
  {
    row: 'outbox',
    name: 'per-key order skipped: a refused row does not hold back its key',
    file: OUTBOX_RELAY,
    find: '    const key = row.aggregateKey ?? `#${row.seq}`;',
    replace: '    const key = `#${row.seq}`;',
    tests: ['libs/persistence/test/outbox.int-spec.ts'],
    filter: 'holds back its key',
  },
  {
    row: 'outbox',
    name: 'rows are not locked: two relays publish a row twice',
    file: OUTBOX_RELAY,
    find: `          limit \${batchSize}
          for update skip locked\`),`,
    replace: `          limit \${batchSize}\`),`,
    tests: ['libs/persistence/test/outbox.int-spec.ts'],
    filter: 'every row exactly once while two relays',
  },
  {
    row: 'replay',
    name: 'a dead letter is removed before its copy is confirmed',
    file: 'libs/messaging/src/dead-letter/dead-letter-admin.ts',
    find: `                if (await publish(target, message.content, replayProperties(message))) {
                  channel.ack(message);`,
    replace: `                channel.ack(message);
                if (await publish(target, message.content, replayProperties(message))) {`,
    tests: ['libs/messaging/test/dead-letter-admin.int-spec.ts'],
    filter: 'copy the broker did not take',
  },
  {
    row: 'consumer shutdown',
    name: 'in-flight handlers are not waited for',
    file: 'libs/messaging/src/consuming/message-consumer.ts',
    find: 'await settleWithin([...this.inFlight], timeoutMs);',
    replace: 'await settleWithin([], timeoutMs);',
    tests: ['libs/messaging/test/consumer-shutdown.int-spec.ts'],
    filter: 'in-flight handlers finish',
  },
  {
    row: 'signals',
    name: 'the second signal is ignored',
    file: 'libs/service-kit/src/lifecycle/graceful-shutdown.ts',
    find: `      logger.warn({ event: 'shutdown.forced', signal });
      exit(1);`,
    replace: `      logger.warn({ event: 'shutdown.forced', signal });`,
    tests: ['libs/service-kit/src/lifecycle/graceful-shutdown.spec.ts'],
    quick: true,
  },
  {
    row: 'signals',
    name: 'responses during the drain keep their connection alive',
    file: 'libs/service-kit/src/lifecycle/graceful-shutdown.ts',
    find: "if (!response.headersSent) response.setHeader('Connection', 'close');",
    replace: 'if (!response.headersSent) response.setHeader("X-Draining", "1");',
    tests: ['libs/service-kit/src/lifecycle/graceful-shutdown.spec.ts'],
    filter: 'keep-alive',
  },
];
