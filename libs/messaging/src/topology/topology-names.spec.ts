import { DELAY_LEVELS, TopologyNames, delayDeliveryPattern, delayLevelPattern, delayRoutingKey } from './topology-names';

/**
 * AMQP topic matching as the broker does it: words are separated by dots, `*` matches exactly one word and `#` zero or
 * more words.
 */
function topicMatches(pattern: string, routingKey: string): boolean {
  const p = pattern.split('.');
  const k = routingKey.split('.');
  const match = (i: number, j: number): boolean => {
    if (i === p.length) return j === k.length;
    if (p[i] === '#') return match(i + 1, j) || (j < k.length && match(i, j + 1));
    if (j === k.length) return false;
    return (p[i] === '*' || p[i] === k[j]) && match(i + 1, j + 1);
  };
  return match(0, 0);
}

describe('topicMatches (the test helper)', () => {
  it.each([
    ['a.b', 'a.b', true],
    ['a.*', 'a.b', true],
    ['a.*', 'a.b.c', false],
    ['a.#', 'a', true],
    ['a.#', 'a.b.c', true],
    ['*.b.#', 'x.b', true],
    ['*.b.#', 'b', false],
    ['#.c', 'a.b.c', true],
    ['*.*.q', 'a.b.q', true],
    ['*.*.q', 'a.q', false],
  ])('%p matches %p: %p', (pattern, key, expected) => {
    expect(topicMatches(pattern, key)).toBe(expected);
  });
});

interface LadderRun {
  /** Seconds the message waited in the level queues it went through. */
  waitedSeconds: number;
  /** Queues on the delivery exchange whose binding the key matched. */
  deliveredTo: string[];
}

/**
 * Walks a routing key down the delay ladder the way the broker would: at level L the key either matches the binding
 * of L's queue (bit 1: wait 2^L s, then dead-letter to the level below) or the exchange-to-exchange binding (bit 0:
 * pass down at once); after level 0 the delivery exchange routes it to the queues whose binding it matches.
 */
function runLadder(routingKey: string, queues: readonly string[], levels = DELAY_LEVELS): LadderRun {
  let waitedSeconds = 0;
  for (let level = levels - 1; level >= 0; level--) {
    const waits = topicMatches(delayLevelPattern(level, '1', levels), routingKey);
    const passes = topicMatches(delayLevelPattern(level, '0', levels), routingKey);
    if (waits === passes) {
      throw new Error(`key ${routingKey} matches ${waits ? 'both' : 'neither'} binding(s) at level ${level}`);
    }
    if (waits) waitedSeconds += 2 ** level;
  }
  const deliveredTo = queues.filter((queue) => topicMatches(delayDeliveryPattern(queue, levels), routingKey));
  return { waitedSeconds, deliveredTo };
}

/** Deterministic pseudo-random integers (mulberry32), so a failure can be reproduced. */
function seededRandom(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('delayRoutingKey', () => {
  it('spells the delay in binary, highest level first, then the destination queue', () => {
    expect(delayRoutingKey(5, 'q', 4)).toBe('0.1.0.1.q');
    expect(delayRoutingKey(8, 'q', 4)).toBe('1.0.0.0.q');
    expect(delayRoutingKey(0, 'q', 4)).toBe('0.0.0.0.q');
  });

  it('keeps a destination queue with dots in its name whole at the end', () => {
    expect(delayRoutingKey(5, 'orders.order.created', 4)).toBe('0.1.0.1.orders.order.created');
  });

  it('uses one word per level of the default ladder', () => {
    const key = delayRoutingKey(1, 'q');

    expect(key.split('.')).toHaveLength(DELAY_LEVELS + 1);
    expect(key).toBe(`${'0.'.repeat(DELAY_LEVELS - 1)}1.q`);
  });

  it('rounds a fractional delay up, so that a message never arrives early', () => {
    expect(delayRoutingKey(4.2, 'q', 4)).toBe(delayRoutingKey(5, 'q', 4));
    expect(delayRoutingKey(0.001, 'q', 4)).toBe('0.0.0.1.q');
  });

  it('clamps a delay longer than the ladder to its height (2^levels - 1 s)', () => {
    expect(delayRoutingKey(15, 'q', 4)).toBe('1.1.1.1.q');
    expect(delayRoutingKey(16, 'q', 4)).toBe('1.1.1.1.q');
    expect(delayRoutingKey(1e9, 'q', 4)).toBe('1.1.1.1.q');
    expect(delayRoutingKey(Number.POSITIVE_INFINITY, 'q', 4)).toBe('1.1.1.1.q');
  });

  it('clamps a negative delay to 0', () => {
    expect(delayRoutingKey(-3, 'q', 4)).toBe('0.0.0.0.q');
  });
});

describe('delayLevelPattern', () => {
  it('skips the words of the higher levels, matches the bit of its level, and ignores the rest', () => {
    expect(delayLevelPattern(3, '1', 4)).toBe('1.#');
    expect(delayLevelPattern(2, '0', 4)).toBe('*.0.#');
    expect(delayLevelPattern(0, '1', 4)).toBe('*.*.*.1.#');
  });

  it('matches the key word of its own level only', () => {
    const key = delayRoutingKey(5, 'orders.x', 4); // 0.1.0.1.orders.x

    expect([3, 2, 1, 0].map((level) => topicMatches(delayLevelPattern(level, '1', 4), key))).toEqual([false, true, false, true]);
    expect([3, 2, 1, 0].map((level) => topicMatches(delayLevelPattern(level, '0', 4), key))).toEqual([true, false, true, false]);
  });
});

describe('delayDeliveryPattern', () => {
  it('is one wildcard per level, then the queue name', () => {
    expect(delayDeliveryPattern('orders.x', 4)).toBe('*.*.*.*.orders.x');
  });

  it('defaults to the height of the ladder', () => {
    expect(delayDeliveryPattern('q')).toBe(`${'*.'.repeat(DELAY_LEVELS)}q`);
  });
});

describe('the delay ladder (simulated)', () => {
  const queues = ['orders.x', 'b.orders.x', 'x', 'orders.x.dlq', 'billing.orders.x'];

  function samples(): number[] {
    const max = 2 ** DELAY_LEVELS - 1;
    const random = seededRandom(20_240_601);
    const edges = [0, 1, 2, 3, max - 1, max];
    for (let level = 1; level < DELAY_LEVELS; level++) edges.push(2 ** level - 1, 2 ** level, 2 ** level + 1);
    const drawn = Array.from({ length: 2000 }, () => Math.floor(random() * (max + 1)));
    return [...edges, ...drawn];
  }

  it('holds every delay from 0 to 2^DELAY_LEVELS - 1 s for exactly that long', () => {
    for (const delay of samples()) {
      const { waitedSeconds } = runLadder(delayRoutingKey(delay, 'orders.x'), queues);
      if (waitedSeconds !== delay) throw new Error(`a delay of ${delay} s waited ${waitedSeconds} s`);
    }
  });

  it('delivers to its own queue only, never to one whose name ends with it or starts with it', () => {
    for (const delay of samples()) {
      for (const queue of queues) {
        const { deliveredTo } = runLadder(delayRoutingKey(delay, queue), queues);
        if (deliveredTo.length !== 1 || deliveredTo[0] !== queue) {
          throw new Error(`a ${delay} s delay for ${queue} reached [${deliveredTo.join(', ')}]`);
        }
      }
    }
  });

  it('waits the whole ladder for a delay longer than it', () => {
    expect(runLadder(delayRoutingKey(10 * 2 ** DELAY_LEVELS, 'orders.x'), queues).waitedSeconds).toBe(2 ** DELAY_LEVELS - 1);
  });
});

describe('TopologyNames', () => {
  const names = new TopologyNames('domain.events', 'billing');

  it('names the queue of a handler <service>.<message-type>', () => {
    expect(names.handlerQueue('order.created')).toBe('billing.order.created');
  });

  it('names the dead-letter queue <queue>.dlq and its exchange <events>.dead-letter', () => {
    expect(names.deadLetterQueue('billing.order.created')).toBe('billing.order.created.dlq');
    expect(names.deadLetterExchange).toBe('domain.events.dead-letter');
  });

  it('routes the fault of a message type as fault.<type>', () => {
    expect(names.faultRoutingKey('order.created')).toBe('fault.order.created');
  });

  it('names the delay levels with two digits, so that they sort in the management UI', () => {
    expect(names.delayLevelExchange(3)).toBe('delay.level.03');
    expect(names.delayLevelQueue(17)).toBe('delay.level.17');
  });

  it('enters the ladder at its highest level', () => {
    expect(names.delayEntryExchange).toBe(names.delayLevelExchange(DELAY_LEVELS - 1));
  });
});
