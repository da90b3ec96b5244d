/**
 * The hub's Prometheus exporter. Every value is read from the HubMetricsSource at scrape
 * time (collect-on-scrape, no timers); the only state kept between scrapes is the
 * cumulative histogram buckets the drained observations are added to.
 *
 * Conventions: prefix `sharpeyes_`; ratios are 0..1 (`_ratio`); durations in `_seconds`;
 * counters end in `_total`. Grid-level cardinality by default (1,730 grids ≈ 5 k
 * series, ~200 communities/villages ≈ 0.8 k more); camera-level `sharpeyes_camera_up` only
 * with `cameraSeries: true`.
 *
 * Absent vs NaN: a rate whose denominator is 0 (no online and no offline camera: no
 * evidence) is OMITTED, never NaN — see core/rates.ts. Coverage is published whenever there
 * is a camera to watch, so "no evidence" shows up as coverage 0.
 */
import { RUNG_BUCKETS_SECONDS } from '../core/rung-stats.ts';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import type { StateCounts } from '../core/model.ts';
import type { CommunityMetricsRow, HubMetricsSource } from './source.ts';
import { DrainedHistogram, register, ScrapeGauge, type Labels, type Sample } from './scrape-collectors.ts';
import { addCounts, clockConsistencyRatio, coverageRatio, emptyCounts, onlineRatio, timeWeightedRatio } from '../core/rates.ts';

export interface HubMetricsOptions {
  /** publish sharpeyes_camera_up{camera,grid,town} (100 k cameras ≈ 0.4 s per scrape: off by default) */
  cameraSeries?: boolean;
  /** the |clock offset| above which a camera counts as drifting; published for dashboards */
  driftThresholdMs?: number;
  /** default process/Node.js metrics (prefixed sharpeyes_); default true */
  processMetrics?: boolean;
}

export interface HubMetrics {
  registry: Registry;
  render(): Promise<string>;
  contentType: string;
}

export const CAMERA_STATES = ['online', 'offline', 'unknown', 'maintenance'] as const;

/** time to repair: 15 min … 7 days (SLA is about 24 h) */
export const REPAIR_BUCKETS_SECONDS = [900, 1800, 3600, 7200, 14400, 28800, 43200, 86400, 172800, 259200, 604800];
/** one rung of the liveness ladder: 5 ms … 10 s (the probe timeouts live there) */
/** the hub buckets rung latencies at ingest (src/core/rung-stats.ts): one set of bounds */
export const PROBE_BUCKETS_SECONDS = RUNG_BUCKETS_SECONDS;

function* some(value: number | null, labels?: Labels): Iterable<Sample> {
  if (value !== null) yield labels ? { labels, value } : { value };
}

export function createHubMetrics(source: HubMetricsSource, opts: HubMetricsOptions = {}): HubMetrics {
  const registry = new Registry();
  const gauge = (name: string, help: string, labelNames: readonly string[], read: () => Iterable<Sample>): void => {
    register(registry, new ScrapeGauge(name, help, labelNames, read));
  };

  // ---- county, from the town rows -------------------------------------------------
  const countyCounts = (): StateCounts => {
    const c = emptyCounts();
    for (const t of source.towns()) addCounts(c, t.counts);
    return c;
  };
  gauge('sharpeyes_county_online_ratio', 'County online rate now: online/(online+offline); absent without evidence.', [], () => some(onlineRatio(countyCounts())));
  gauge('sharpeyes_county_online_ratio_today', 'County online rate time-weighted over today: Σ online s / Σ monitored s.', [], () => {
    let on = 0;
    let mon = 0;
    for (const t of source.towns()) {
      on += t.todayOnlineMs;
      mon += t.todayMonitoredMs;
    }
    return some(timeWeightedRatio(on, mon));
  });
  gauge('sharpeyes_county_coverage_ratio', 'Share of all cameras with fresh evidence: (online+offline)/total (maintenance counts in the total).', [], () =>
    some(coverageRatio(countyCounts())),
  );
  gauge('sharpeyes_cameras', 'Cameras by state, county-wide.', ['state'], function* () {
    const c = countyCounts();
    for (const state of CAMERA_STATES) yield { labels: { state }, value: c[state] };
  });

  // ---- towns -------------------------------------------------------------------------
  gauge('sharpeyes_town_info', 'Town id to display name (value 1); join with * on(town) group_left(name).', ['town', 'name'], function* () {
    for (const t of source.towns()) yield { labels: { town: t.town, name: t.name }, value: 1 };
  });
  gauge('sharpeyes_town_online_ratio', 'Town online rate now; absent without evidence.', ['town'], function* () {
    for (const t of source.towns()) yield* some(onlineRatio(t.counts), { town: t.town });
  });
  gauge('sharpeyes_town_online_ratio_today', 'Town online rate time-weighted over today.', ['town'], function* () {
    for (const t of source.towns()) yield* some(timeWeightedRatio(t.todayOnlineMs, t.todayMonitoredMs), { town: t.town });
  });
  gauge('sharpeyes_town_coverage_ratio', 'Town coverage: (online+offline)/total.', ['town'], function* () {
    for (const t of source.towns()) yield* some(coverageRatio(t.counts), { town: t.town });
  });
  gauge('sharpeyes_town_cameras', 'Cameras by town and state.', ['town', 'state'], function* () {
    for (const t of source.towns()) {
      for (const state of CAMERA_STATES) yield { labels: { town: t.town, state }, value: t.counts[state] };
    }
  });
  gauge('sharpeyes_town_clock_measured_cameras', 'Cameras whose clock offset was measured (ONVIF GetSystemDateAndTime).', ['town'], function* () {
    for (const t of source.towns()) yield { labels: { town: t.town }, value: t.clockMeasured };
  });
  gauge('sharpeyes_town_clock_drifting_cameras', 'Cameras whose |clock offset| exceeds the drift threshold.', ['town'], function* () {
    for (const t of source.towns()) yield { labels: { town: t.town }, value: t.clockDrifting };
  });
  gauge('sharpeyes_town_clock_consistency_ratio', 'Clock consistency (时钟一致率): 1 - drifting/measured; absent when nothing measured.', ['town'], function* () {
    for (const t of source.towns()) yield* some(clockConsistencyRatio(t.clockMeasured, t.clockDrifting), { town: t.town });
  });
  if (opts.driftThresholdMs !== undefined) {
    const threshold = opts.driftThresholdMs / 1000;
    gauge('sharpeyes_clock_drift_threshold_seconds', 'Clock offset above which a camera counts as drifting.', [], () => [{ value: threshold }]);
  }

  // ---- communities/villages (社区/村): one series per community and metric (no state split:
  // ~200 communities in the reference county add ~800 series) -----------------------------
  const communities = (): Iterable<CommunityMetricsRow> => source.communities?.() ?? [];
  gauge('sharpeyes_community_info', 'Community/village id to display name (value 1); join with * on(community) group_left(name).', ['town', 'community', 'name'], function* () {
    for (const c of communities()) yield { labels: { town: c.town, community: c.community, name: c.name }, value: 1 };
  });
  gauge('sharpeyes_community_online_ratio', 'Community/village online rate now; absent without evidence.', ['town', 'community'], function* () {
    for (const c of communities()) yield* some(onlineRatio(c.counts), { town: c.town, community: c.community });
  });
  gauge('sharpeyes_community_online_ratio_today', 'Community/village online rate time-weighted over today.', ['town', 'community'], function* () {
    for (const c of communities()) yield* some(timeWeightedRatio(c.todayOnlineMs, c.todayMonitoredMs), { town: c.town, community: c.community });
  });
  gauge('sharpeyes_community_coverage_ratio', 'Community/village coverage: (online+offline)/total.', ['town', 'community'], function* () {
    for (const c of communities()) yield* some(coverageRatio(c.counts), { town: c.town, community: c.community });
  });

  // ---- grids and grid kinds ------------------------------------------------------------
  gauge('sharpeyes_grid_online_ratio', 'Grid online rate now; absent without evidence (see coverage).', ['grid', 'town', 'kind'], function* () {
    for (const g of source.grids()) yield* some(onlineRatio(g.counts), { grid: g.grid, town: g.town, kind: g.kind });
  });
  gauge('sharpeyes_grid_online_ratio_today', 'Grid online rate time-weighted over today.', ['grid', 'town', 'kind'], function* () {
    for (const g of source.grids()) {
      yield* some(timeWeightedRatio(g.todayOnlineMs, g.todayMonitoredMs), { grid: g.grid, town: g.town, kind: g.kind });
    }
  });
  gauge('sharpeyes_grid_offline_cameras', 'Offline cameras per grid (only grids with at least one).', ['grid', 'town', 'kind'], function* () {
    for (const g of source.grids()) {
      if (g.counts.offline > 0) yield { labels: { grid: g.grid, town: g.town, kind: g.kind }, value: g.counts.offline };
    }
  });
  gauge('sharpeyes_kind_online_ratio', 'Online rate now by grid kind (urban, rural, dedicated).', ['kind'], () => {
    const byKind = new Map<string, StateCounts>();
    for (const g of source.grids()) {
      let c = byKind.get(g.kind);
      if (!c) byKind.set(g.kind, (c = emptyCounts()));
      addCounts(c, g.counts);
    }
    const out: Sample[] = [];
    for (const [kind, c] of byKind) out.push(...some(onlineRatio(c), { kind }));
    return out;
  });

  // ---- tickets -----------------------------------------------------------------------
  gauge('sharpeyes_tickets_open', 'Open tickets by town and fault class.', ['town', 'class'], function* () {
    for (const t of source.tickets()) yield { labels: { town: t.town, class: t.class }, value: t.open };
  });
  gauge('sharpeyes_tickets_sla_breached', 'Open tickets past their SLA by town and fault class.', ['town', 'class'], function* () {
    for (const t of source.tickets()) yield { labels: { town: t.town, class: t.class }, value: t.slaBreached };
  });
  register(
    registry,
    new DrainedHistogram(
      'sharpeyes_ticket_repair_seconds',
      'Time to repair of resolved tickets (offline since last success → verified back).',
      ['town', 'class'],
      REPAIR_BUCKETS_SECONDS,
      function* () {
        for (const r of source.drainRepairSeconds()) yield { labels: { town: r.town, class: r.class }, values: [r.seconds] };
      },
    ),
  );

  // ---- agents, probes, ingest ---------------------------------------------------------
  gauge('sharpeyes_agent_last_report_age_seconds', 'Seconds since the agent last had a report accepted; +Inf if never.', ['agent'], function* () {
    const now = source.now();
    for (const a of source.agents()) {
      const age = a.lastReportAt === null ? Number.POSITIVE_INFINITY : Math.max(0, (now - a.lastReportAt) / 1000);
      yield { labels: { agent: a.agent }, value: age };
    }
  });
  gauge('sharpeyes_agent_cameras', 'Cameras assigned to the agent by the hub.', ['agent'], function* () {
    for (const a of source.agents()) yield { labels: { agent: a.agent }, value: a.cameras };
  });
  register(
    registry,
    new DrainedHistogram('sharpeyes_probe_duration_seconds', 'Liveness-ladder rung duration as reported by the agents.', ['rung', 'outcome'], PROBE_BUCKETS_SECONDS, function* () {
      for (const r of source.drainRungLatencies()) {
        const labels = { rung: r.rung, outcome: r.outcome };
        yield 'seconds' in r ? { labels, values: r.seconds } : { labels, bucketCounts: r.bucketCounts, sum: r.sum, count: r.count };
      }
    }),
  );
  const ingestCounters = [
    ['sharpeyes_ingest_batches_total', 'Report batches accepted (including duplicates).', 'batches'],
    ['sharpeyes_ingest_duplicate_batches_total', 'Report batches already seen (agent, seq): nothing changed.', 'duplicateBatches'],
    ['sharpeyes_ingest_items_total', 'Probe results accepted.', 'items'],
    ['sharpeyes_ingest_refused_items_total', 'Probe results refused one by one (e.g. camera not assigned to the agent).', 'refusedItems'],
    ['sharpeyes_ingest_bad_requests_total', 'Report requests rejected as malformed or unauthorised.', 'badRequests'],
  ] as const;
  for (const [name, help, key] of ingestCounters) {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        // the source keeps the cumulative value; mirror it
        this.reset();
        this.inc(Math.max(0, source.ingest()[key]));
      },
    });
  }
  gauge('sharpeyes_live_viewers', 'Connected live-snapshot WebSocket viewers.', [], () => [{ value: source.viewers() }]);

  // ---- optional camera-level series ---------------------------------------------------
  if (opts.cameraSeries) {
    gauge('sharpeyes_camera_up', 'Camera online (1) or offline (0); unknown and maintenance cameras are absent.', ['camera', 'grid', 'town'], function* () {
      if (!source.cameras) return;
      for (const c of source.cameras()) {
        if (c.state === 'online' || c.state === 'offline') {
          yield { labels: { camera: c.camera, grid: c.grid, town: c.town }, value: c.state === 'online' ? 1 : 0 };
        }
      }
    });
  }

  const processMetrics = opts.processMetrics !== false ? processRegistry() : null;
  return {
    registry,
    render: async () => (await registry.metrics()) + (processMetrics ? await processMetrics.metrics() : ''),
    contentType: registry.contentType,
  };
}

let shared: Registry | null = null;

/**
 * Process metrics (CPU, memory, GC, event loop) are per process, and prom-client's
 * collectors hang on global observers that are never released: collect them once, in
 * one registry every hub of the process renders (a hub per test would otherwise leak).
 */
function processRegistry(): Registry {
  if (!shared) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared, prefix: 'sharpeyes_' });
  }
  return shared;
}
