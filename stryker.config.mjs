// Mutation testing (Stryker, Vitest runner) of the rules users rely on: `npm run test:mutation`
// runs this config (the core, notify formats, log redaction, the spool, the login guard, the
// probes' classifiers — against the fast tests), then stryker.hub.config.mjs (ingest,
// evidence intake, outbox — against the real services over PGlite), then
// scripts/mutation-gate.ts (score per folder over both; fails below 80 %).
// Incremental: the results are committed in mutation/*.json, so a run (CI's included)
// re-tests only the mutants whose code or covering tests changed since; commit the updated
// files with the change. Reports (HTML, JSON) go to reports/mutation/ (not committed).
// Narrow a local run with `npx stryker run --mutate src/core/rates.ts`.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'vitest.mutation.config.ts' },
  coverageAnalysis: 'perTest',
  mutate: [
    'src/core/**/*.ts',
    '!src/core/seeded-random.ts',
    'src/notify/formats.ts',
    'src/notify/config.ts',
    'src/log.ts',
    'edge-agent/spool.ts',
    'edge-agent/login-guard.ts',
    'edge-agent/probes/{tcp,onvif-time,onvif-auth,rtsp,frame,soap-parse}.ts',
  ],
  incremental: true,
  incrementalFile: 'mutation/core-incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/core.html' },
  jsonReporter: { fileName: 'reports/mutation/core.json' },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  thresholds: { high: 90, low: 80, break: null },
  concurrency: 2,
  timeoutMS: 4_000,
  tempDirName: '.tmp/stryker',
  // not copied into the sandbox: other runs' sandboxes and scratch files, the demo's data
  ignorePatterns: ['/.tmp', '/data'],
  cleanTempDir: 'always',
};
