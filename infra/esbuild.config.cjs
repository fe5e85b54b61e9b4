// How the Lambda functions are bundled: one ESM file per function, minified, for the nodejs22.x runtime. This
// file is the single source: serverless-esbuild loads it (custom.esbuild.config in serverless.yml) and the bench
// imports it through infra/esbuild.ts, so what is measured is what ships.
const path = require('node:path');

const stub = path.join(__dirname, 'lambda-stubs', 'unavailable.cjs');

const LAMBDA_ENTRIES = {
  'slack-events': 'functions/slack-events.ts',
  worker: 'functions/worker.ts',
  digest: 'functions/digest.ts',
  sweep: 'functions/sweep.ts',
  policy: 'functions/policy.ts',
  'audit-archive': 'functions/audit-archive.ts',
};

const lambdaBuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  minify: true,
  legalComments: 'none',
  // A linked source map next to each bundle (functions/<name>.mjs.map), which Node reads with
  // --enable-source-maps (NODE_OPTIONS in serverless.yml) so stack traces in the logs name the TypeScript files and
  // lines. Mappings only: the sources themselves stay out of the zip. Node parses the map when it loads the bundle,
  // a few tens of milliseconds of a cold start.
  sourcemap: 'linked',
  sourcesContent: false,
  // Prefer packages' ESM builds; CommonJS dependencies inside an ESM bundle need `require`, which the banner gives.
  mainFields: ['module', 'main'],
  banner: {
    js: "import { createRequire as __kwCreateRequire } from 'node:module'; const require = __kwCreateRequire(import.meta.url);",
  },
  // Bolt imports these for receivers and OAuth flows Keywarden never builds (Express, HTTP, Socket Mode,
  // installation store); raw-body alone drags in iconv-lite's 480 KB of code pages.
  alias: { express: stub, '@slack/socket-mode': stub, '@slack/oauth': stub, 'raw-body': stub },
  logLevel: 'warning',
};

// serverless-esbuild reads its own options from this function too (custom.esbuild is ignored once a config file
// is given): `.mjs` so Lambda loads the bundles as ES modules, and nothing external, so the AWS SDK versions
// tested are the ones that run.
module.exports = () => ({ ...lambdaBuildOptions, outputFileExtension: '.mjs', exclude: [] });
module.exports.lambdaBuildOptions = lambdaBuildOptions;
module.exports.LAMBDA_ENTRIES = LAMBDA_ENTRIES;
