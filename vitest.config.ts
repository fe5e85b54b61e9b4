import { defineConfig } from 'vitest/config';

/**
 * Two projects. `unit`: pure code with no server, no dynalite and no child process, for the inner loop
 * (`npx vitest run --project unit`, a few seconds). `integration`: everything else, against real local components
 * (loopback vendor sandboxes, the fake Slack Web API, dynalite, killed and restarted processes). `npm test` runs both.
 */
const UNIT = [
  'test/auth/**/*.test.ts',
  'test/aws/**/*.test.ts',
  'test/blocks/**/*.test.ts',
  'test/cli/format.test.ts',
  'test/commands/**/*.test.ts',
  'test/composition/config.test.ts',
  'test/config/**/*.test.ts',
  'test/http/paginate.test.ts',
  'test/http/retry.test.ts',
  'test/log.test.ts',
  'test/providers/feed-cursor.test.ts',
  'test/runtime/invocation.test.ts',
  'test/slack/verify.test.ts',
  'test/store/requests-errors.test.ts',
  'test/util/**/*.test.ts',
];

export default defineConfig({
  test: {
    // Tests start loopback servers; a generous per-test budget absorbs a loaded CI machine without hiding hangs.
    testTimeout: 20_000,
    hookTimeout: 30_000,
    allowOnly: false,
    // Captures everything written to stdout/stderr and fails a file whose output holds a test secret.
    setupFiles: ['test/setup/log-capture.ts'],
    // Tests run on Node 20; the AWS SDK's notice about Node 22 concerns Lambda (nodejs22.x), not them.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      // Pure modules need no fresh process per file; sharing one keeps the inner loop short.
      { extends: true, test: { name: 'unit', include: UNIT, isolate: false, pool: 'threads' } },
      { extends: true, test: { name: 'integration', include: ['test/**/*.test.ts'], exclude: UNIT } },
    ],
  },
});
