/**
 * Prints the exporter's text over the reference-county fake source, for
 * `promtool check metrics` in scripts/check-deploy.sh:
 *   npx tsx src/metrics/print-fake-metrics.ts | promtool check metrics
 */
import { createFakeHubSource } from './fake-source.ts';
import { createHubMetrics } from './hub-metrics.ts';

const metrics = createHubMetrics(createFakeHubSource({ grids: 60, towns: 4 }), {
  driftThresholdMs: 2000,
  // prom-client's own default gauges (nodejs_active_handles_total …) fail the lint; they are not ours
  processMetrics: process.argv.includes('--process-metrics'),
  cameraSeries: true,
});
process.stdout.write(await metrics.render());
