// Bench: compiles the TypeScript the workers run (the library and bench/) to JavaScript once, before any worker
// starts, so that a worker loads plain JavaScript (register-transpiled.js) and not the TypeScript compiler: its memory
// and start-up are then those of the service it stands for, comparable with the JavaScript peers.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { BENCH_DIR, REPO_ROOT } from './contenders';

const SOURCE_ROOTS = [join(REPO_ROOT, 'libs'), BENCH_DIR];
const SKIPPED_DIRS = new Set(['node_modules', 'results', 'test', 'peers']);

function* typescriptFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) yield* typescriptFiles(join(dir, entry.name));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && !entry.name.endsWith('.spec.ts')) {
      yield join(dir, entry.name);
    }
  }
}

/** Compiles every file with register-ts.js's options into a new folder; returns it (remove it with removeTranspiled). */
export function transpileAhead(): string {
  const config = ts.readConfigFile(join(REPO_ROOT, 'tsconfig.json'), (file) => ts.sys.readFile(file)).config as { compilerOptions: object };
  const { options } = ts.convertCompilerOptionsFromJson(config.compilerOptions, REPO_ROOT);
  const compilerOptions = {
    ...options,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: undefined,
    sourceMap: false,
    inlineSourceMap: false,
  };
  const out = mkdtempSync(join(tmpdir(), 'bench-transpiled-'));
  for (const root of SOURCE_ROOTS) {
    for (const file of typescriptFiles(root)) {
      const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions, fileName: file });
      const target = join(out, `${relative(REPO_ROOT, file)}.js`);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, outputText);
    }
  }
  return out;
}

export function removeTranspiled(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}
