// The chaos suite's figures: what a scenario's effect rows say against what was published (lost, duplicate effects,
// out of order per key), and the table it prints, one line per scenario.

/** One effect row, in the order the effects committed. */
export interface EffectRow {
  kind: string;
  key: string;
  seq: number;
}

export interface ScenarioFigures {
  scenario: string;
  /** Messages published (or written to the outbox). */
  messages: number;
  lost: number;
  duplicates: number;
  /** Effects of an ordered kind that came after a later one of their key. */
  outOfOrder: number;
  /** From the fault until every message had its effect; undefined when that never happened. */
  convergeMs?: number;
  /** Publishes that failed (the caller was told); counted as a failure of the scenario. */
  failedPublishes: number;
}

/**
 * Compares the effects with what was published: `published` lists, per kind, the keys and the last seq of each (seq
 * 1..last of every key was published once). `orderedKinds` are the kinds whose effects must follow seq per key.
 */
export function countEffects(
  effects: readonly EffectRow[],
  published: ReadonlyMap<string, ReadonlyMap<string, number>>,
  orderedKinds: ReadonlySet<string>,
): Pick<ScenarioFigures, 'messages' | 'lost' | 'duplicates' | 'outOfOrder'> {
  let messages = 0;
  const expected = new Set<string>();
  for (const [kind, keys] of published) {
    for (const [key, last] of keys) {
      messages += last;
      for (let seq = 1; seq <= last; seq++) expected.add(`${kind}\u0000${key}\u0000${seq}`);
    }
  }
  const seen = new Set<string>();
  const highest = new Map<string, number>();
  let duplicates = 0;
  let outOfOrder = 0;
  for (const { kind, key, seq } of effects) {
    const id = `${kind}\u0000${key}\u0000${seq}`;
    if (seen.has(id)) duplicates++;
    seen.add(id);
    if (!orderedKinds.has(kind)) continue;
    const stream = `${kind}\u0000${key}`;
    const before = highest.get(stream) ?? 0;
    if (seq < before) outOfOrder++;
    else highest.set(stream, seq);
  }
  let lost = 0;
  for (const id of expected) if (!seen.has(id)) lost++;
  return { messages, lost, duplicates, outOfOrder };
}

/** A scenario passes with every message's effect present once, in order, and no failed publish. */
export function passed(figures: ScenarioFigures): boolean {
  return (
    figures.lost === 0 &&
    figures.duplicates === 0 &&
    figures.outOfOrder === 0 &&
    figures.failedPublishes === 0 &&
    figures.convergeMs !== undefined
  );
}

const COLUMNS = ['scenario', 'messages', 'lost', 'duplicate effects', 'out of order', 'converged in', 'result'] as const;

export function tableHeader(width: number): string {
  return formatRow(COLUMNS, width);
}

export function tableRow(figures: ScenarioFigures, width: number): string {
  return formatRow(
    [
      figures.scenario,
      String(figures.messages),
      String(figures.lost),
      String(figures.duplicates),
      String(figures.outOfOrder),
      figures.convergeMs === undefined ? 'never' : `${(figures.convergeMs / 1000).toFixed(1)} s`,
      passed(figures) ? 'ok' : figures.failedPublishes > 0 ? `FAIL (${figures.failedPublishes} publishes failed)` : 'FAIL',
    ],
    width,
  );
}

function formatRow(cells: readonly string[], width: number): string {
  const [name, ...rest] = cells;
  const widths = [9, 5, 18, 13, 13];
  return [
    name.padEnd(width),
    ...rest.slice(0, widths.length).map((cell, i) => cell.padStart(widths[i])),
    ...rest.slice(widths.length).map((cell) => `  ${cell}`),
  ].join(' ');
}
