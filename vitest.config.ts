import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/tmp-root.ts', 'test/support/global-setup.ts'],
    // the default output, then one line per missing test peer (test/support/peers.ts)
    reporters: ['default', './test/support/peer-report.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
