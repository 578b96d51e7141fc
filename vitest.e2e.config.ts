import { defineConfig } from 'vitest/config';

// Browser tests: Chromium driven by playwright-core, one file at a time (two cores, SwiftShader).
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.e2e.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
