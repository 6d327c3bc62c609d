// Writing a generated service all at once or not at all: a failure at any step, or a file someone else changed in the
// meantime, leaves the tree exactly as it was.
import * as fs from 'node:fs';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commitChanges, ConcurrentEditError, type FileChanges, type FileSystem } from './file-changes';

describe('commitChanges', () => {
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'file-changes-'));
    fs.mkdirSync(join(root, 'apps'));
    writeFileSync(join(root, 'a.json'), 'a before');
    writeFileSync(join(root, 'b.yml'), 'b before');
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function changes(): FileChanges {
    return {
      newFolder: {
        path: join(root, 'apps/billing'),
        files: new Map([
          ['src/main.ts', 'main'],
          ['migrations/meta/_journal.json', '{}'],
        ]),
      },
      edits: [
        { path: join(root, 'a.json'), before: 'a before', after: 'a after' },
        { path: join(root, 'b.yml'), before: 'b before', after: 'b after' },
      ],
    };
  }

  /** The whole tree under root: path -> content. */
  function tree(): Record<string, string> {
    const entries = readdirSync(root, { recursive: true, encoding: 'utf8' }).sort();
    return Object.fromEntries(
      entries.map((path) => [path, fs.statSync(join(root, path)).isDirectory() ? '(folder)' : readFileSync(join(root, path), 'utf8')]),
    );
  }

  /** Node's file system, but the `failAt`-th call of `call` throws. */
  function failing(call: 'writeFileSync' | 'renameSync' | 'mkdirSync', failAt: number): FileSystem {
    let calls = 0;
    const real = fs[call] as (...args: unknown[]) => unknown;
    const failingCall = (...args: unknown[]): unknown => {
      if (++calls === failAt) throw new Error(`disk full (${call} #${failAt})`);
      return real(...args);
    };
    return { ...fs, [call]: failingCall };
  }

  it('writes the folder and every edit', () => {
    commitChanges(changes());

    expect(tree()).toEqual({
      'a.json': 'a after',
      apps: '(folder)',
      'apps/billing': '(folder)',
      'apps/billing/migrations': '(folder)',
      'apps/billing/migrations/meta': '(folder)',
      'apps/billing/migrations/meta/_journal.json': '{}',
      'apps/billing/src': '(folder)',
      'apps/billing/src/main.ts': 'main',
      'b.yml': 'b after',
    });
  });

  it.each([
    ['writing the first file of the folder', 'writeFileSync', 1],
    ['moving the folder into place', 'renameSync', 1],
    ['writing the first edit', 'writeFileSync', 3],
    ['moving the second edit into place', 'renameSync', 3],
  ] as const)('leaves the tree as it was when %s fails', (_step, call, failAt) => {
    const before = tree();

    expect(() => commitChanges(changes(), failing(call, failAt))).toThrow('disk full');

    expect(tree()).toEqual(before);
  });

  it('writes nothing when an edited file changed since the plan read it', () => {
    writeFileSync(join(root, 'b.yml'), 'b edited by someone else');
    const before = tree();

    expect(() => commitChanges(changes())).toThrow(new ConcurrentEditError(`${join(root, 'b.yml')} changed while the generator ran`));

    expect(tree()).toEqual(before);
  });

  it('writes nothing when the folder appeared since the plan', () => {
    fs.mkdirSync(join(root, 'apps/billing'));
    const before = tree();

    expect(() => commitChanges(changes())).toThrow(ConcurrentEditError);

    expect(tree()).toEqual(before);
  });
});
