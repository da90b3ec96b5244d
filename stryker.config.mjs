// Mutation testing (Stryker, Vitest runner): `npm run test:mutation` mutates the rules users
// rely on and counts the mutants the tests kill. Incremental: results are kept in
// reports/mutation/incremental.json, so a re-run after a small change tests only what changed.
// `npm run test:mutation -- --mutate src/core/rates.ts` narrows it to files.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'vitest.mutation.config.ts' },
  coverageAnalysis: 'perTest',
  mutate: [
    'src/core/**/*.ts',
    'src/services/ingest.ts',
    'src/services/evidence-intake.ts',
    'src/notify/**/*.ts',
    'src/log.ts',
    'edge-agent/spool.ts',
    'edge-agent/login-guard.ts',
    'src/protocol/probe-result.ts',
    'edge-agent/probes/*.ts',
  ],
  incremental: true,
  incrementalFile: 'reports/mutation/incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  thresholds: { high: 90, low: 80, break: null },
  concurrency: 2,
  timeoutMS: 15_000,
  tempDirName: '.tmp/stryker',
  cleanTempDir: 'always',
};
