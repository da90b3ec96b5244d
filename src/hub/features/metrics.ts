/** /metrics: grid-level series from in-memory state, rendered at scrape time; the features add their figures. */
import type { Monitor } from '../../core/monitor.ts';
import { RungStats } from '../../core/rung-stats.ts';
import type { CountyStructure } from '../../db/county-store.ts';
import { metricsRoutes } from '../../http/routes/metrics.ts';
import { createHubMetrics } from '../../metrics/hub-metrics.ts';
import type { EvidenceIntake } from '../../services/evidence-intake.ts';
import { hubMetricsSource, type MetricsExtras } from '../../services/hub-metrics-source.ts';
import type { IngestService } from '../../services/ingest.ts';
import type { HubFeature } from '../feature.ts';

export interface MetricsFeatureDeps {
  monitor: Monitor;
  ingest: IngestService;
  intake: Pick<EvidenceIntake, 'onApplied'>;
  structure: CountyStructure;
  /** what the other features contribute (tickets, viewers) */
  extras: MetricsExtras[];
  now: () => number;
  /** camera-level series (off by default: 100 k cameras make a slow scrape) */
  cameraSeries: boolean;
  /** when set, scrapes must send it as a bearer token (METRICS_TOKEN) */
  token?: string;
}

export function metricsFeature(deps: MetricsFeatureDeps): HubFeature {
  // probe latencies per rung, pre-bucketed as applied evidence arrives (only applied evidence counts)
  const rungStats = new RungStats();
  deps.intake.onApplied((items) => {
    for (const item of items) for (const r of item.rungs) rungStats.observe(r);
  });
  const extras: MetricsExtras = Object.assign({}, ...deps.extras);
  const source = hubMetricsSource({ monitor: deps.monitor, ingest: deps.ingest, rungStats, structure: deps.structure, extras, now: deps.now });
  const metrics = createHubMetrics(source, { driftThresholdMs: deps.monitor.config.clockDriftThresholdMs, cameraSeries: deps.cameraSeries });
  return { name: 'metrics', routes: metricsRoutes(async () => ({ contentType: metrics.contentType, body: await metrics.render() }), deps.token) };
}
