// Jest for the whole monorepo: unit specs (*.spec.ts) next to the code, integration specs (*.int-spec.ts) against the
// real broker and database, end-to-end specs under test/ (*.e2e-spec.ts). Path aliases come from tsconfig.json.
const { pathsToModuleNameMapper } = require('ts-jest');
const ts = require('typescript');
const vm = require('node:vm');

// Jest's own test for its require(esm) support (jest-runtime's nodeCapabilities): Node 24.9+, and the
// --experimental-vm-modules flag that npm test passes (PGlite needs it anyway, for its dynamic import()).
const jestCanRequireEsm = typeof vm.SourceTextModule?.prototype.hasAsyncGraph === 'function';

const { config: tsconfig } = ts.readConfigFile('./tsconfig.json', ts.sys.readFile);

/** @type {import('jest').Config} */
module.exports = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  rootDir: '.',
  // Fault specs (*.fault-spec.ts) stop or restart the broker itself; they run alone, after the rest (jest.faults.config.js).
  testRegex: '.*\\.(spec|int-spec|e2e-spec)\\.ts$',
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.data/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    // NestJS 12 and cockatiel 4 ship ES modules only. Where Jest can require() them (Node 24.9+ with
    // --experimental-vm-modules, which npm test passes), they load as they are. Elsewhere (Node 22) Jest's module
    // registry cannot, so babel-jest compiles them to CommonJS: one module registry, one copy of each.
    ...(jestCanRequireEsm
      ? {}
      : {
          '^.+\\.js$': [
            'babel-jest',
            {
              babelrc: false,
              configFile: false,
              plugins: [
                require.resolve('./test/support/babel-import-meta.js'),
                ['@babel/plugin-transform-modules-commonjs', { lazy: false }],
              ],
            },
          ],
        }),
  },
  transformIgnorePatterns: jestCanRequireEsm ? ['/node_modules/'] : ['/node_modules/(?!(@nestjs|cockatiel)/)'],
  moduleNameMapper: pathsToModuleNameMapper(tsconfig.compilerOptions.paths, { prefix: '<rootDir>/' }),
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/test/support/quiet-logs.ts'],
  testTimeout: 60_000,
  maxWorkers: 2,
};
