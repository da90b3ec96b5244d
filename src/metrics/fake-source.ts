/**
 * A deterministic in-memory HubMetricsSource shaped like the reference county
 * (1,730 grids over 14 towns and ~200 communities/villages of about 9 grids, ~93 % online). For the render bench, the dashboard
 * name check and exporter tests; the hub implements the real one over its state.
 */
import { RUNGS, RUNG_OUTCOMES, FAULT_CLASSES } from '../protocol/probe-result.ts';
import type { CameraState, GridKind } from '../core/model.ts';
import type { CommunityMetricsRow, GridMetricsRow, HubMetricsSource, TicketMetricsRow, TownMetricsRow } from './source.ts';

export interface FakeSourceOptions {
  grids?: number;
  towns?: number;
  camerasPerGrid?: number;
  agents?: number;
  /** rung latencies yielded per (rung, outcome) on every drain; 0 = drains are empty after the first */
  latenciesPerDrain?: number;
  now?: number;
}

const KINDS: GridKind[] = ['urban', 'rural', 'dedicated'];

/** small LCG so the numbers are the same on every run */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function createFakeHubSource(o: FakeSourceOptions = {}): HubMetricsSource {
  const nGrids = o.grids ?? 1730;
  const nTowns = o.towns ?? 14;
  const perGrid = o.camerasPerGrid ?? 8;
  const nAgents = o.agents ?? nTowns;
  const perDrain = o.latenciesPerDrain ?? 20;
  const now = o.now ?? Date.UTC(2025, 4, 1, 4, 0, 0);
  const rand = rng(42);

  const grids: GridMetricsRow[] = [];
  const communityRows = new Map<string, CommunityMetricsRow>();
  const communitiesPerTown = Math.max(1, Math.ceil(nGrids / nTowns / 9));
  const cameras: { camera: string; grid: string; town: string; state: CameraState }[] = [];
  for (let i = 0; i < nGrids; i++) {
    const town = `T${String(i % nTowns).padStart(2, '0')}`;
    const grid = `G${String(i).padStart(5, '0')}`;
    const counts = { online: 0, offline: 0, unknown: 0, maintenance: 0 };
    for (let k = 0; k < perGrid; k++) {
      const r = rand();
      const state: CameraState = r < 0.9 ? 'online' : r < 0.965 ? 'offline' : r < 0.99 ? 'unknown' : 'maintenance';
      counts[state] += 1;
      cameras.push({ camera: `${grid}-C${k}`, grid, town, state });
    }
    const monitored = 4 * 3600_000 * (counts.online + counts.offline);
    const row: GridMetricsRow = { grid, town, kind: KINDS[i % 3] as GridKind, counts, todayOnlineMs: Math.round(monitored * 0.93), todayMonitoredMs: monitored };
    grids.push(row);
    const cn = Math.floor(i / nTowns) % communitiesPerTown;
    const community = `${town}C${String(cn).padStart(2, '0')}`;
    let c = communityRows.get(community);
    if (!c) {
      c = { community, town, name: `Community ${town}-${cn}`, counts: { online: 0, offline: 0, unknown: 0, maintenance: 0 }, todayOnlineMs: 0, todayMonitoredMs: 0 };
      communityRows.set(community, c);
    }
    for (const st of ['online', 'offline', 'unknown', 'maintenance'] as const) c.counts[st] += counts[st];
    c.todayOnlineMs += row.todayOnlineMs;
    c.todayMonitoredMs += row.todayMonitoredMs;
  }

  const towns: TownMetricsRow[] = [];
  for (let t = 0; t < nTowns; t++) {
    const town = `T${String(t).padStart(2, '0')}`;
    const row: TownMetricsRow = {
      town,
      name: `Town ${t}`,
      counts: { online: 0, offline: 0, unknown: 0, maintenance: 0 },
      todayOnlineMs: 0,
      todayMonitoredMs: 0,
      clockMeasured: 0,
      clockDrifting: 0,
    };
    for (const g of grids) {
      if (g.town !== town) continue;
      row.counts.online += g.counts.online;
      row.counts.offline += g.counts.offline;
      row.counts.unknown += g.counts.unknown;
      row.counts.maintenance += g.counts.maintenance;
      row.todayOnlineMs += g.todayOnlineMs;
      row.todayMonitoredMs += g.todayMonitoredMs;
    }
    row.clockMeasured = row.counts.online;
    row.clockDrifting = Math.floor(row.counts.online * 0.02);
    towns.push(row);
  }

  const tickets: TicketMetricsRow[] = [];
  for (const t of towns) {
    for (const c of FAULT_CLASSES) tickets.push({ town: t.town, class: c, open: Math.floor(rand() * 10), slaBreached: Math.floor(rand() * 2) });
  }

  const ingest = { batches: 1200, duplicateBatches: 3, items: 600_000, refusedItems: 12, badRequests: 1 };
  let drains = 0;

  return {
    grids: () => grids,
    towns: () => towns,
    communities: () => communityRows.values(),
    agents: () =>
      Array.from({ length: nAgents }, (_, i) => ({
        agent: `agent-${i}`,
        lastReportAt: i === nAgents - 1 ? null : now - 20_000 - i * 1000,
        cameras: Math.floor((nGrids * perGrid) / nAgents),
      })),
    tickets: () => tickets,
    ingest: () => ingest,
    drainRungLatencies: () => {
      if (perDrain === 0 && drains++ > 0) return [];
      const n = Math.max(1, perDrain);
      const out = [];
      for (const rung of RUNGS) {
        for (const outcome of RUNG_OUTCOMES) out.push({ rung, outcome, seconds: Array.from({ length: n }, () => rand() * 0.5) });
      }
      return out;
    },
    drainRepairSeconds: () => [{ town: 'T00', class: 'unreachable', seconds: 5400 }],
    viewers: () => 3,
    cameras: () => cameras,
    now: () => now,
  };
}
