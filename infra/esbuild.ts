import type { BuildOptions } from 'esbuild';

/**
 * How the Lambda functions are bundled: one ESM file per function, minified, for the nodejs22.x runtime. Shared by
 * the bench (bundle size, import time) and the deployment packaging, so what is measured is what ships.
 */
export const LAMBDA_ENTRIES = {
  'slack-events': 'functions/slack-events.ts',
  worker: 'functions/worker.ts',
  digest: 'functions/digest.ts',
} as const;

const stub = new URL('./lambda-stubs/unavailable.cjs', import.meta.url).pathname;

export const lambdaBuildOptions: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  minify: true,
  legalComments: 'none',
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
