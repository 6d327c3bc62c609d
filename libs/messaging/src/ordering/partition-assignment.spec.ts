// Protects how an ordered handler's partitions are shared out: every partition has exactly one owner, shares are
// even, every instance computes the same answer, and a join or a leave moves only what it must.
import { assignPartitions, ownedPartitions } from './partition-assignment';

const QUEUE = 'ledger.entry.posted';

function owners(members: string[], partitions = 8): Map<number, string> {
  const byPartition = new Map<number, string>();
  for (const [member, indexes] of assignPartitions(members, QUEUE, partitions)) for (const index of indexes) byPartition.set(index, member);
  return byPartition;
}

describe('partition assignment', () => {
  it('gives every partition to exactly one member, and all of them to a member alone', () => {
    expect(ownedPartitions('a', ['a'], QUEUE, 8)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const assignment = assignPartitions(['a', 'b', 'c'], QUEUE, 8);
    const all = [...assignment.values()].flat().sort((x, y) => x - y);
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('shares the partitions evenly: no member has more than one above another', () => {
    for (const count of [2, 3, 4, 5, 7]) {
      const members = Array.from({ length: count }, (_, i) => `instance-${i}`);
      for (const partitions of [1, 4, 8, 16, 64]) {
        const sizes = [...assignPartitions(members, QUEUE, partitions).values()].map((indexes) => indexes.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }
    }
  });

  it('is the same for every member whatever order it lists the members in', () => {
    expect(assignPartitions(['c', 'a', 'b'], QUEUE, 8)).toEqual(assignPartitions(['b', 'c', 'a', 'a'], QUEUE, 8));
  });

  it('gives nothing to an instance the members do not include (one that has left)', () => {
    expect(ownedPartitions('gone', ['a', 'b'], QUEUE, 8)).toEqual([]);
  });

  it('moves only the leaver’s partitions, and a few to even the shares out, when a member leaves', () => {
    const before = owners(['a', 'b', 'c', 'd'], 16);
    const after = owners(['a', 'b', 'c'], 16);
    const moved = [...before.keys()].filter((index) => before.get(index) !== after.get(index));
    const leaversShare = [...before.values()].filter((member) => member === 'd').length;
    expect(moved.length).toBeGreaterThanOrEqual(leaversShare);
    expect(moved.length).toBeLessThanOrEqual(leaversShare + 3);
  });

  it('gives a joining member its share, taken from the others', () => {
    const before = owners(['a', 'b'], 8);
    const after = owners(['a', 'b', 'c'], 8);
    const taken = [...after.entries()].filter(([, member]) => member === 'c').map(([index]) => index);
    expect(taken.length).toBeGreaterThanOrEqual(2);
    const moved = [...before.keys()].filter((index) => before.get(index) !== after.get(index));
    expect(moved.length).toBeLessThanOrEqual(taken.length + 2);
  });
});
