/**
 * What the hub's Prometheus exporter reads at scrape time. The hub implements this
 * over its in-memory state (never SQL on a scrape); the exporter (hub-metrics.ts)
 * turns it into series. Grid-level cardinality by default.
 */
import type { CameraState, GridKind, StateCounts } from '../core/model.ts';
import type { FaultClass, Rung, RungOutcome } from '../protocol/probe-result.ts';

export interface GridMetricsRow {
  grid: string; // grid id
  town: string; // town id
  kind: GridKind;
  counts: StateCounts;
  /** time-weighted over today (local day): Σ online ms, Σ monitored (online+offline) ms */
  todayOnlineMs: number;
  todayMonitoredMs: number;
}

export interface TownMetricsRow {
  town: string; // town id
  name: string;
  counts: StateCounts;
  todayOnlineMs: number;
  todayMonitoredMs: number;
  /** cameras with a measured clock offset */
  clockMeasured: number;
  /** cameras whose |clock offset| exceeds the drift threshold */
  clockDrifting: number;
}

/** a community/village (社区/村): Σ over its grids, one row per community (bounded cardinality) */
export interface CommunityMetricsRow {
  community: string; // community id
  town: string; // town id
  name: string;
  counts: StateCounts;
  todayOnlineMs: number;
  todayMonitoredMs: number;
}

export interface TicketMetricsRow {
  town: string;
  class: FaultClass | 'power' | 'fibre' | 'reported';
  open: number;
  slaBreached: number;
}

export interface HubMetricsSource {
  grids(): Iterable<GridMetricsRow>;
  towns(): Iterable<TownMetricsRow>;
  /** community/village roll-ups; a source without them publishes no community series */
  communities?(): Iterable<CommunityMetricsRow>;
  /** per agent: epoch ms of its last accepted report, null if never */
  agents(): Iterable<{ agent: string; lastReportAt: number | null; cameras: number }>;
  /** open tickets; empty until tickets exist */
  tickets(): Iterable<TicketMetricsRow>;
  /** cumulative counters since start */
  ingest(): {
    batches: number;
    duplicateBatches: number;
    items: number;
    refusedItems: number;
    badRequests: number;
  };
  /**
   * probe latency by rung, aggregated from agent reports since the last scrape (the exporter
   * observes then drains): raw seconds, or — at ingest rates where keeping samples would cost
   * memory — counts already bucketed on PROBE_BUCKETS_SECONDS (non-cumulative, last = +Inf)
   */
  drainRungLatencies(): Iterable<
    { rung: Rung; outcome: RungOutcome; seconds: number[] } | { rung: Rung; outcome: RungOutcome; bucketCounts: number[]; sum: number; count: number }
  >;
  /** time-to-repair of tickets resolved since the last scrape, seconds */
  drainRepairSeconds(): Iterable<{ town: string; class: string; seconds: number }>;
  /** connected WebSocket viewers */
  viewers(): number;
  /** optional camera-level series (off by default) */
  cameras?(): Iterable<{ camera: string; grid: string; town: string; state: CameraState }>;
  now(): number;
}
