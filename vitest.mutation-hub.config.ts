import { defineConfig } from 'vitest/config';

// The in-process-hub tests Stryker runs against mutants of stryker.hub.config.mjs.
export default defineConfig({
  test: {
    include: ['test/hub/{ingest,evidence-intake}.test.ts', 'test/hub/ingest-*.test.ts', 'test/tickets/hub-lifecycle.test.ts', 'test/notify/outbox-*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
