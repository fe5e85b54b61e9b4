import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests start loopback servers; a generous per-test budget absorbs a loaded CI machine without hiding hangs.
    testTimeout: 20_000,
    hookTimeout: 30_000,
    allowOnly: false,
    // Captures everything written to stdout/stderr and fails a file whose output holds a test secret.
    setupFiles: ['test/setup/log-capture.ts'],
    // Tests run on Node 20; the AWS SDK's notice about Node 22 concerns Lambda (nodejs22.x), not them.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
