// Specs for reading the counters in owned headers: a counter is believed only where its owner can have written it, and
// a value no owner would write is reported, never read as "none".
import { rawDelivery, type RawParts } from '../../../../test/support/deliveries';
import { TopologyNames } from '../topology/topology-names';
import { headerTrustFor, MAX_ATTEMPTS, readOwnedHeaders } from './owned-headers';

const read = (parts: RawParts, queueType: 'quorum' | 'classic' = 'quorum') =>
  readOwnedHeaders(rawDelivery('order.created', parts), headerTrustFor(queueType, new TopologyNames('domain.events', 'shop')));

describe('readOwnedHeaders', () => {
  it('reads a first delivery without owned headers as attempt 1, no redelivery, no version, nothing wrong', () => {
    expect(read({})).toEqual({ attempt: 1, redeliveries: 0, schemaVersion: undefined, problems: [] });
  });

  it.each(['delay.delivery', 'delay.plugin', 'delay.level.00', 'delay.level.17'])(
    'believes x-attempts on a retry copy that came through %s',
    (exchange) => {
      expect(read({ headers: { 'x-attempts': 3 }, exchange }).attempt).toBe(4);
    },
  );

  it.each(['domain.events', '', 'delay.unroutable'])('does not believe x-attempts on a delivery from %p', (exchange) => {
    expect(read({ headers: { 'x-attempts': 3 }, exchange })).toMatchObject({ attempt: 1, problems: [] });
  });

  it(`reports an x-attempts above the largest retry policy (${MAX_ATTEMPTS}), even on a retry copy`, () => {
    expect(read({ headers: { 'x-attempts': MAX_ATTEMPTS + 1 }, exchange: 'delay.delivery' }).problems).toHaveLength(1);
  });

  it("counts the broker's x-delivery-count on a redelivery from a quorum queue, and only 1 on a classic one", () => {
    expect(read({ headers: { 'x-delivery-count': 4 }, redelivered: true }).redeliveries).toBe(4);
    expect(read({ headers: { 'x-delivery-count': 4 }, redelivered: true }, 'classic').redeliveries).toBe(1);
    expect(read({ redelivered: true }).redeliveries).toBe(1);
  });

  it('ignores x-delivery-count on a first delivery: the broker writes it only on a redelivery', () => {
    expect(read({ headers: { 'x-delivery-count': 999 } })).toMatchObject({ redeliveries: 0, problems: [] });
  });

  it('reports every header no owner would write, each named with its value, and keeps long values short', () => {
    const { problems } = read({ headers: { 'x-attempts': 'x'.repeat(500), 'x-delivery-count': -1, 'x-schema-version': 'abc' } });

    expect(problems).toEqual([
      expect.stringMatching(/^header x-attempts is "x{39}…, not a count of attempts/),
      'header x-delivery-count is -1, not a delivery count (a whole number >= 0)',
      'header x-schema-version is "abc", not a schema version (a whole number >= 1)',
    ]);
  });

  it('reads versions and counts written as digits, as some clients write headers', () => {
    expect(read({ headers: { 'x-schema-version': '2', 'x-attempts': '1' }, exchange: 'delay.delivery' })).toMatchObject({
      schemaVersion: 2,
      attempt: 2,
      problems: [],
    });
  });
});
