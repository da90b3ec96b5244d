import { defineConfig } from 'vitest/config';

// The tests Stryker runs against mutants of stryker.hub.config.mjs (ingest, evidence intake,
// outbox): each runs the real service over a PGlite database cloned from the template (about
// a second), not a whole hub — every mutant re-runs the tests that cover it, and a hub start
// per mutant would take hours. The whole-hub tests of the same code run in `npm test`.
export default defineConfig({
  test: {
    include: ['test/hub/*-rules.test.ts', 'test/tickets/outbox-worker.test.ts'],
    globalSetup: ['test/support/tmp-root.ts', 'test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
