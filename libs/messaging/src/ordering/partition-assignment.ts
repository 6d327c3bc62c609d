// Which partitions of an ordered handler each instance consumes, computed alike by every instance from the instances
// it knows of: each partition ranks the instances by a hash (rendezvous hashing) and goes to the best-ranked one that
// has fewer than its fair share. Shares differ by at most one, and an instance joining or leaving moves few others.
import { createHash } from 'node:crypto';

/** The partitions (indexes, ascending) that `self` consumes among `members` (self included, or it gets none). */
export function ownedPartitions(self: string, members: readonly string[], queue: string, partitions: number): number[] {
  return assignPartitions(members, queue, partitions).get(self) ?? [];
}

/** Every member's partitions; members given in any order (the result does not depend on it). */
export function assignPartitions(members: readonly string[], queue: string, partitions: number): Map<string, number[]> {
  const unique = [...new Set(members)].sort();
  const assignment = new Map<string, number[]>(unique.map((member) => [member, []]));
  if (unique.length === 0) return assignment;
  // Each member takes `base` partitions, and `extra` of them one more.
  const base = Math.floor(partitions / unique.length);
  let extra = partitions % unique.length;
  for (let index = 0; index < partitions; index++) {
    const ranked = unique
      .map((member) => ({ member, score: score(queue, index, member) }))
      .sort((a, b) => b.score - a.score || (a.member < b.member ? -1 : 1));
    const owner =
      ranked.find(({ member }) => (assignment.get(member) as number[]).length < base) ??
      ranked.find(({ member }) => extra > 0 && (assignment.get(member) as number[]).length === base) ??
      ranked[0];
    const owned = assignment.get(owner.member) as number[];
    if (owned.length === base) extra--;
    owned.push(index);
  }
  return assignment;
}

function score(queue: string, index: number, member: string): number {
  return createHash('sha256').update(`${queue}\u0000${index}\u0000${member}`).digest().readUInt32BE(0);
}
