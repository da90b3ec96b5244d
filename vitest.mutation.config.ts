import { defineConfig } from 'vitest/config';

// The fast tests Stryker runs against each mutant of stryker.config.mjs (milliseconds to
// ~2 s a file; no Debian peer, no browser, no hub). The hub half: vitest.mutation-hub.config.ts.
export default defineConfig({
  test: {
    include: [
      'test/core/**/*.test.ts',
      'test/notify/**/*.test.ts',
      'test/tickets/{rules,stages,notify-config}.test.ts',
      'test/tickets/rules-*.test.ts',
      'test/agent-runtime/{spool,spool-durability,spool-rules,login-guard,reporter}.test.ts',
      'test/agent-probes/{onvif-probes,rtsp-probe,soap-fixtures,tcp,http-wire,ladder,classifiers}.test.ts',
    ],
    globalSetup: ['test/support/tmp-root.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
