// Protects the chaos suite's arithmetic: a lost message, a second effect and an ordered key handled backwards are each
// counted, and a scenario passes only with all of them at zero, no failed publish and a convergence time.
import { countEffects, passed, tableRow, type EffectRow, type ScenarioFigures } from './chaos-report';

const published = new Map([
  ['step', new Map([['a', 3]])],
  ['tick', new Map([['a', 3]])],
]);
const ordered = new Set(['step']);

function rows(...entries: Array<[string, number]>): EffectRow[] {
  return entries.map(([kind, seq]) => ({ kind, key: 'a', seq }));
}

describe('chaos figures', () => {
  it('counts nothing wrong when every message has one effect, the ordered ones in order', () => {
    const effects = rows(['step', 1], ['tick', 2], ['step', 2], ['tick', 1], ['step', 3], ['tick', 3]);
    expect(countEffects(effects, published, ordered)).toEqual({ messages: 6, lost: 0, duplicates: 0, outOfOrder: 0 });
  });

  it('counts a message without an effect as lost and a second effect as a duplicate', () => {
    const effects = rows(['step', 1], ['step', 2], ['step', 2], ['step', 3], ['tick', 1], ['tick', 3]);
    expect(countEffects(effects, published, ordered)).toMatchObject({ lost: 1, duplicates: 1, outOfOrder: 0 });
  });

  it('counts an ordered effect that comes after a later one of its key, and ignores the order of plain ones', () => {
    const effects = rows(['step', 2], ['step', 1], ['step', 3], ['tick', 3], ['tick', 2], ['tick', 1]);
    expect(countEffects(effects, published, ordered)).toMatchObject({ lost: 0, duplicates: 0, outOfOrder: 1 });
  });

  it('fails a scenario for any non-zero count, a failed publish or no convergence', () => {
    const good: ScenarioFigures = {
      scenario: 'x',
      messages: 6,
      lost: 0,
      duplicates: 0,
      outOfOrder: 0,
      convergeMs: 1200,
      failedPublishes: 0,
    };
    expect(passed(good)).toBe(true);
    expect(tableRow(good, 10)).toMatch(/^x\s+6\s+0\s+0\s+0\s+1\.2 s\s+ok$/);
    for (const bad of [{ lost: 1 }, { duplicates: 1 }, { outOfOrder: 1 }, { failedPublishes: 1 }, { convergeMs: undefined }]) {
      expect(passed({ ...good, ...bad })).toBe(false);
      expect(tableRow({ ...good, ...bad }, 10)).toContain('FAIL');
    }
  });
});
