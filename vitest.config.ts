import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests start loopback servers; a generous per-test budget absorbs a loaded CI machine without hiding hangs.
    testTimeout: 20_000,
    hookTimeout: 30_000,
    allowOnly: false,
  },
});
