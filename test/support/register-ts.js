// Lets a child process run this repository's TypeScript directly (`node -r ./test/support/register-ts.js file.ts`):
// transpiles each .ts file on load and resolves the @app/* path aliases. Used by tests that need a real process.
// Transpiled output is kept in node_modules/.cache/register-ts, keyed by a hash of the source, the file name, the
// TypeScript version and the options: an e2e spec starts many processes of the same sources, and transpiling them all
// again costs each process seconds of CPU (enough, on a busy 2-core machine, to miss a start deadline).
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');
const tsconfigPaths = require('tsconfig-paths');

const root = path.resolve(__dirname, '../..');
const { config } = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile);
tsconfigPaths.register({ baseUrl: root, paths: config.compilerOptions.paths });

const { options } = ts.convertCompilerOptionsFromJson(config.compilerOptions, root);
const compilerOptions = {
  ...options,
  module: ts.ModuleKind.CommonJS,
  moduleResolution: undefined,
  sourceMap: false,
  inlineSourceMap: true,
};
const cacheDir = path.join(root, 'node_modules', '.cache', 'register-ts');
const optionsKey = `${ts.version}\0${JSON.stringify(compilerOptions)}`;

function transpile(source, filename) {
  const key = createHash('sha256').update(optionsKey).update('\0').update(filename).update('\0').update(source).digest('hex');
  const cached = path.join(cacheDir, `${key}.js`);
  try {
    return fs.readFileSync(cached, 'utf8');
  } catch {
    // Not transpiled yet.
  }
  const { outputText } = ts.transpileModule(source, { compilerOptions, fileName: filename });
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    // Written whole under a name of its own, then renamed: a process reading it never sees half a file.
    const temporary = `${cached}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, outputText);
    fs.renameSync(temporary, cached);
  } catch {
    // A cache that cannot be written only costs time.
  }
  return outputText;
}

require.extensions['.ts'] = (module, filename) => {
  module._compile(transpile(fs.readFileSync(filename, 'utf8'), filename), filename);
};
