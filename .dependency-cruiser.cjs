/**
 * Keywarden's layer rules, run by `npm test` (`npm run layers`). Dependencies point down only:
 *
 *   functions/ → runtime → composition → features (each capability's listeners, job handlers and renderers),
 *   over the shared jobs/, listeners/ and blocks/ → services → domain
 *   adapters (http, store, providers, slack, aws, config) → domain (+ util); never services, jobs or Slack code
 *
 * A violation fails the build with the rule's name and this comment's reason. Type imports count: a type cycle is
 * still a cycle for whoever reads the code.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'Modules must not depend on each other in a circle (type imports included).',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-imports-nothing',
      severity: 'error',
      comment: 'src/domain is what Keywarden is: it imports nothing else from the project, and no package.',
      from: { path: '^src/domain/' },
      to: { pathNot: '^src/domain/', dependencyTypesNot: ['core'] },
    },
    {
      name: 'services-only-domain',
      severity: 'error',
      comment:
        'Use cases (src/services) work over the domain and its ports only: no Slack, AWS, HTTP or store code.',
      from: { path: '^src/services/' },
      to: { pathNot: '^src/(domain|services|util)/', dependencyTypesNot: ['core'] },
    },
    {
      name: 'adapters-not-above',
      severity: 'error',
      comment:
        'Adapters (http, store, providers, aws, config) never import use cases, jobs, listeners or renderers. ' +
        'The one exception is src/jobs/job.ts, the queue message schema that the queue adapters carry.',
      from: { path: '^src/(http|store|providers|aws|config)/' },
      to: {
        path: '^src/(services|jobs|listeners|blocks|features|composition|runtime|local|cli)/',
        pathNot: '^src/jobs/job[.]ts$',
      },
    },
    {
      name: 'renderers-no-adapters',
      severity: 'error',
      comment:
        "Renderers (src/blocks, and each feature's *blocks.ts and csv.ts) turn data into Block Kit and text; " +
        'they call no vendor, store or AWS code.',
      from: { path: '^src/(blocks/|features/[^/]+/([a-z-]*blocks|csv)[.]ts$)' },
      to: { path: '^src/(http|store|providers|aws|config|jobs|listeners|local|runtime)/' },
    },
    {
      name: 'sandboxes-only-local',
      severity: 'error',
      comment:
        'The embedded vendor sandboxes (sandbox/) are test doubles: only the local bot and the CLI start them, so ' +
        'nothing a Lambda function bundles can reach them.',
      from: { path: '^(src|functions)/', pathNot: '^src/(local|cli)/' },
      to: { path: '^sandbox/' },
    },
    {
      name: 'declared-dependencies-only',
      severity: 'error',
      comment:
        'Every package the product imports is declared in package.json (not reached through another package).',
      from: { path: '^(src|functions|sandbox)/' },
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'shipped-code-no-dev-dependencies',
      severity: 'error',
      comment:
        'What a Lambda function bundles uses runtime dependencies only; tools for local runs (tsx, dynalite, level) ' +
        'are dev dependencies, used by src/local, src/cli and the sandboxes.',
      from: { path: '^(src|functions)/', pathNot: '^src/(local|cli)/' },
      to: { dependencyTypes: ['npm-dev'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    parser: 'swc',
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
