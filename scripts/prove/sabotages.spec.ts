// The proof's list stays in step with the code and the README: each sabotage still matches its file exactly once
// and names spec files that exist, and each row of the guarantee table names the sabotages that prove it.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SABOTAGES } from './sabotages';

const ROOT = resolve(__dirname, '..', '..');

function occurrences(text: string, part: string): number {
  let count = 0;
  for (let at = text.indexOf(part); at !== -1; at = text.indexOf(part, at + part.length)) count++;
  return count;
}

/** The guarantee table's rows: the label and the sabotages of its last column. */
function readmeRows(): Array<{ label: string; names: string[] }> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('| guarantee | test | proved by sabotage'));
  const rows = table.slice(0, table.indexOf('\n\n')).split('\n').slice(2);
  return rows.map((row) => {
    const cells = row.split(' | ');
    const last = cells[cells.length - 1].replace(/ \|$/, '');
    const match = /^\*\*(.+?)\*\*: (.+)$/.exec(last);
    if (!match) throw new Error(`A row of the guarantee table names no sabotage: ${row.slice(0, 80)}`);
    return { label: match[1], names: match[2].split('; ') };
  });
}

describe('the sabotages of npm run prove', () => {
  it.each(SABOTAGES.map((sabotage) => [`${sabotage.row}: ${sabotage.name}`, sabotage] as const))(
    '%s still matches its file exactly once, and its tests exist',
    (_name, sabotage) => {
      const file = join(ROOT, sabotage.file);
      expect(existsSync(file)).toBe(true);
      expect(occurrences(readFileSync(file, 'utf8'), sabotage.find)).toBe(1);
      expect(sabotage.replace).not.toBe(sabotage.find);
      for (const test of sabotage.tests) expect(existsSync(join(ROOT, test))).toBe(true);
    },
  );

  it('are named in the README, each row of the guarantee table with its own', () => {
    const byRow = new Map<string, string[]>();
    for (const sabotage of SABOTAGES) byRow.set(sabotage.row, [...(byRow.get(sabotage.row) ?? []), sabotage.name]);
    const rows = readmeRows();
    expect(rows.map((row) => row.label).sort()).toEqual([...byRow.keys()].sort());
    for (const row of rows) expect({ row: row.label, names: row.names }).toEqual({ row: row.label, names: byRow.get(row.label) });
  });

  it('keep a quick subset of two to four for npm test', () => {
    const quick = SABOTAGES.filter((sabotage) => sabotage.quick);
    expect(quick.length).toBeGreaterThanOrEqual(2);
    expect(quick.length).toBeLessThanOrEqual(4);
    expect(quick.some((sabotage) => sabotage.faults)).toBe(false);
  });
});
