// The second half of `npm run test:mutation` (see stryker.config.mjs): the hub's ingest,
// evidence intake and notification outbox, mutated against tests that run an in-process hub.
import base from './stryker.config.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  vitest: { configFile: 'vitest.mutation-hub.config.ts' },
  mutate: ['src/services/ingest.ts', 'src/services/evidence-intake.ts', 'src/notify/outbox-worker.ts'],
  incrementalFile: 'mutation/hub-incremental.json',
  htmlReporter: { fileName: 'reports/mutation/hub.html' },
  jsonReporter: { fileName: 'reports/mutation/hub.json' },
  timeoutMS: 30_000,
};
