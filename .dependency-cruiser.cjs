// `npm run check:deps`: the workspace's import graph, checked in CI. No import cycles, and each library imports only
// what its weight allows (see the README's layout): contracts and the light library load no I/O package.
const IO_PACKAGES =
  '(^|/)node_modules/(@types/)?(amqplib|amqp-connection-manager|pg|drizzle-orm|@electric-sql|ioredis|pino|pino-http|nestjs-pino|@opentelemetry|prom-client|@nestjs|rxjs|express)(/|$)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'An import cycle makes load order matter and the layers meaningless.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'contracts-depend-on-core-only',
      severity: 'error',
      comment: 'Message contracts are shared with any producer: they may use the light library, nothing heavier.',
      from: { path: '^libs/contracts/src' },
      to: { path: '^libs/(messaging|persistence|service-kit)/' },
    },
    {
      name: 'light-libraries-load-no-io',
      severity: 'error',
      comment: 'messaging-core and the contracts describe messages; they load no broker, database, log or Nest package.',
      from: { path: '^libs/(messaging-core|contracts)/src', pathNot: '\\.spec\\.ts$|/schema/message-discovery\\.ts$' },
      to: { path: IO_PACKAGES },
    },
    {
      name: 'core-depends-on-nothing-of-ours',
      severity: 'error',
      from: { path: '^libs/messaging-core/' },
      to: { path: '^libs/(messaging|persistence|service-kit|contracts)/' },
    },
    {
      name: 'messaging-below-persistence-and-kit',
      severity: 'error',
      comment: 'The AMQP runtime knows nothing of the database or the service kit; they plug into it through DI.',
      from: { path: '^libs/messaging/src' },
      to: { path: '^libs/(persistence|service-kit)/' },
    },
    {
      name: 'persistence-below-kit',
      severity: 'error',
      from: { path: '^libs/persistence/src' },
      to: { path: '^libs/service-kit/' },
    },
    {
      name: 'testing-is-for-tests',
      severity: 'error',
      comment: 'The in-memory transport and its harness are for specs: no production code loads them.',
      from: { path: '^(libs|apps)/[^/]+/src/|^src/', pathNot: '^libs/testing/|\\.spec\\.ts$' },
      to: { path: '^libs/testing/' },
    },
    {
      name: 'testing-above-messaging-and-persistence',
      severity: 'error',
      comment: 'The harness swaps the runtime of messaging and drives the outbox of persistence; it needs nothing of the kit.',
      from: { path: '^libs/testing/src' },
      to: { path: '^libs/service-kit/' },
    },
    {
      name: 'libraries-do-not-import-apps',
      severity: 'error',
      comment: "A library's code never reaches into the apps, the command line or the test helpers (its specs may).",
      from: { path: '^libs/[^/]+/src/', pathNot: '\\.spec\\.ts$' },
      to: { path: '^(apps|src|test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|\\.data|tools)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports count too: a cycle through types is still a cycle for a reader.
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js', '.json'],
    },
  },
};
