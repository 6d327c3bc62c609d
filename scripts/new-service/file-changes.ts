// Writes a generated service all at once or not at all: the new folder is written beside its place and renamed into
// it, each edited file is written beside itself and renamed over it, and on any failure everything done is undone.
// An edited file that changed since it was read (someone else's edit) stops the whole write before anything changes.
import * as fs from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface FileChanges {
  /** A folder that must not exist yet, and its files (relative path with `/` -> content). */
  newFolder: { path: string; files: ReadonlyMap<string, string> };
  /** Existing files: the text the plan was made from, and the text to write. */
  edits: ReadonlyArray<{ path: string; before: string; after: string }>;
}

/** The file system calls the commit makes (Node's, or a test's that fails on purpose). */
export interface FileSystem {
  readFileSync(path: string, encoding: 'utf8'): string;
  writeFileSync(path: string, data: string): void;
  renameSync(from: string, to: string): void;
  mkdirSync(path: string, options: { recursive: true }): unknown;
  rmSync(path: string, options: { recursive: true; force: true }): void;
  existsSync(path: string): boolean;
}

export class ConcurrentEditError extends Error {
  override readonly name = 'ConcurrentEditError';
}

/** Applies `changes`, or leaves the tree as it was and throws. */
export function commitChanges(changes: FileChanges, fileSystem: FileSystem = fs): void {
  const { newFolder, edits } = changes;
  if (fileSystem.existsSync(newFolder.path)) throw new ConcurrentEditError(`${newFolder.path} appeared while the generator ran`);
  for (const edit of edits) {
    if (fileSystem.readFileSync(edit.path, 'utf8') !== edit.before) {
      throw new ConcurrentEditError(`${edit.path} changed while the generator ran`);
    }
  }

  const undo: Array<() => void> = [];
  const staging = join(dirname(newFolder.path), `.${basename(newFolder.path)}.partial-${process.pid}`);
  try {
    undo.push(() => fileSystem.rmSync(staging, { recursive: true, force: true }));
    for (const [path, content] of newFolder.files) {
      const target = join(staging, path);
      fileSystem.mkdirSync(dirname(target), { recursive: true });
      fileSystem.writeFileSync(target, content);
    }
    fileSystem.renameSync(staging, newFolder.path);
    undo.push(() => fileSystem.rmSync(newFolder.path, { recursive: true, force: true }));

    for (const edit of edits) {
      const temporary = `${edit.path}.partial-${process.pid}`;
      undo.push(() => fileSystem.rmSync(temporary, { recursive: true, force: true }));
      fileSystem.writeFileSync(temporary, edit.after);
      fileSystem.renameSync(temporary, edit.path);
      undo.push(() => fileSystem.writeFileSync(edit.path, edit.before));
    }
  } catch (error) {
    for (const step of undo.reverse()) {
      try {
        step();
      } catch {
        // Keep undoing the rest; the first error is the one to report.
      }
    }
    throw error;
  }
}
