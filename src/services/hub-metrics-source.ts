/**
 * The hub's in-memory state as the Prometheus exporter reads it at scrape time
 * (src/metrics/source.ts). Tickets and live viewers plug in through `extras`.
 */
import { RateSum, rollUp } from '../core/rates.ts';
import type { Monitor } from '../core/monitor.ts';
import type { RungStats } from '../core/rung-stats.ts';
import type { CountyStructure } from '../db/county-store.ts';
import type { HubMetricsSource, TicketMetricsRow } from '../metrics/source.ts';
import type { IngestService } from './ingest.ts';

export interface MetricsExtras {
  tickets?: () => Iterable<TicketMetricsRow>;
  drainRepairSeconds?: () => Iterable<{ town: string; class: string; seconds: number }>;
  viewers?: () => number;
}

export interface MetricsSourceDeps {
  monitor: Monitor;
  ingest: IngestService;
  rungStats: RungStats;
  structure: CountyStructure;
  /** what the features add (tickets, live viewers) */
  extras: MetricsExtras;
  now: () => number;
}

export function hubMetricsSource({ monitor, ingest, rungStats, structure, extras, now }: MetricsSourceDeps): HubMetricsSource {
  const townName = new Map(structure.towns.map((t) => [t.id, t.name]));
  const communityById = new Map(structure.communities.map((c) => [c.id, c]));
  const camerasPerAgent = new Map<string, number>();
  for (const c of structure.cameras) if (c.agentId) camerasPerAgent.set(c.agentId, (camerasPerAgent.get(c.agentId) ?? 0) + 1);
  return {
    *grids() {
      const t = now();
      for (const { grid, tally } of monitor.grids.values()) {
        tally.accrue(t);
        yield { grid: grid.id, town: grid.townId, kind: grid.kind, counts: { ...tally.counts }, todayOnlineMs: tally.day.onlineMs, todayMonitoredMs: tally.day.monitoredMs };
      }
    },
    *towns() {
      const t = now();
      const sums = new Map<string, RateSum>();
      for (const { grid, tally } of monitor.grids.values()) {
        tally.accrue(t);
        let s = sums.get(grid.townId);
        if (!s) sums.set(grid.townId, (s = new RateSum()));
        s.add(tally);
      }
      const measured = new Map<string, number>();
      const drifting = new Map<string, number>();
      const threshold = monitor.config.clockDriftThresholdMs;
      for (const cam of monitor.cameras.values()) {
        if (cam.clockOffsetMs === null) continue;
        const town = monitor.grids.get(cam.gridId)!.grid.townId;
        measured.set(town, (measured.get(town) ?? 0) + 1);
        if (Math.abs(cam.clockOffsetMs) > threshold) drifting.set(town, (drifting.get(town) ?? 0) + 1);
      }
      for (const [town, s] of sums) {
        yield {
          town,
          name: townName.get(town) ?? town,
          counts: { online: s.online, offline: s.offline, unknown: s.unknown, maintenance: s.maintenance },
          todayOnlineMs: s.dayOnline,
          todayMonitoredMs: s.dayMonitored,
          clockMeasured: measured.get(town) ?? 0,
          clockDrifting: drifting.get(town) ?? 0,
        };
      }
    },
    *communities() {
      for (const [community, f] of rollUp(monitor.grids.values(), (g) => g.communityId, now())) {
        const c = communityById.get(community);
        yield {
          community,
          town: c?.townId ?? '',
          name: c?.name ?? community,
          counts: f.counts,
          todayOnlineMs: f.today.onlineMs,
          todayMonitoredMs: f.today.monitoredMs,
        };
      }
    },
    *agents() {
      for (const a of structure.agents) yield { agent: a.id, lastReportAt: ingest.lastReportAt(a.id), cameras: camerasPerAgent.get(a.id) ?? 0 };
    },
    tickets: () => extras.tickets?.() ?? [],
    ingest: () => ({ ...ingest.counters }),
    drainRungLatencies: () => rungStats.drain(),
    drainRepairSeconds: () => extras.drainRepairSeconds?.() ?? [],
    viewers: () => extras.viewers?.() ?? 0,
    *cameras() {
      for (const cam of monitor.cameras.values()) {
        const g = monitor.grids.get(cam.gridId)!.grid;
        yield { camera: cam.code, grid: g.id, town: g.townId, state: cam.state };
      }
    },
    now,
  };
}
