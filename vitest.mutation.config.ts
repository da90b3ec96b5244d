import { defineConfig } from 'vitest/config';

// The tests Stryker runs against each mutant: those that cover the mutated files and need no
// Debian peer or browser (GStreamer, Chromium and the end-to-end runs stay in `npm test`).
export default defineConfig({
  test: {
    include: [
      'test/core/**/*.test.ts',
      'test/tickets/{rules,stages,notify-config,hub-lifecycle}.test.ts',
      'test/hub/{ingest,evidence-intake}.test.ts',
      'test/agent-runtime/{spool,spool-durability,login-guard,reporter}.test.ts',
      'test/agent-probes/{onvif-probes,rtsp-probe,soap-fixtures,tcp,http-wire,ladder}.test.ts',
    ],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
