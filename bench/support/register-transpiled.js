// Bench: lets a worker require the repository's .ts files from JavaScript compiled beforehand (transpile-ahead.ts, in
// BENCH_TRANSPILED_DIR), with the @app/* path aliases, without loading the TypeScript compiler into the worker.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const tsconfigPaths = require('tsconfig-paths');

const root = path.resolve(__dirname, '../..');
const compiled = process.env.BENCH_TRANSPILED_DIR;
if (!compiled) throw new Error('BENCH_TRANSPILED_DIR is not set: start workers through bench/run.ts');

const { compilerOptions } = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.json'), 'utf8'));
tsconfigPaths.register({ baseUrl: root, paths: compilerOptions.paths });

require.extensions['.ts'] = (module, filename) => {
  const file = path.join(compiled, `${path.relative(root, filename)}.js`);
  if (!fs.existsSync(file)) throw new Error(`${filename} was not compiled ahead (expected ${file})`);
  module._compile(fs.readFileSync(file, 'utf8'), filename);
};
