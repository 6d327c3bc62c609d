// Jest for the whole monorepo: unit specs (*.spec.ts) next to the code, integration specs (*.int-spec.ts) against the
// real broker and database, end-to-end specs under test/ (*.e2e-spec.ts). Path aliases come from tsconfig.json.
const { pathsToModuleNameMapper } = require('ts-jest');
const ts = require('typescript');

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
    // NestJS 12 ships ES modules only. Node 20 loads them in CommonJS through require(esm), but Jest's own module
    // registry cannot (it can from Node 24.9), so Jest compiles them to CommonJS: one module registry, one copy of each.
    // (npm test also runs Jest with --experimental-vm-modules, for the dynamic import() inside PGlite.)
    '^.+\\.js$': [
      'babel-jest',
      {
        babelrc: false,
        configFile: false,
        plugins: [require.resolve('./test/support/babel-import-meta.js'), ['@babel/plugin-transform-modules-commonjs', { lazy: false }]],
      },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs)/)'],
  moduleNameMapper: pathsToModuleNameMapper(tsconfig.compilerOptions.paths, { prefix: '<rootDir>/' }),
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/test/support/quiet-logs.ts'],
  testTimeout: 60_000,
  maxWorkers: 2,
};
