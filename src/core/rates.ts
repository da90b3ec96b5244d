/**
 * The rate arithmetic, written once: the REST API (county view) and the Prometheus
 * exporter both call these. Pure functions over in-memory counters (never SQL on the hot
 * path), rolled up the org tree and by grid kind as Σ counts / Σ seconds, never a mean of rates.
 *   online rate   = online / (online + offline)       unknown and maintenance are in neither term
 *   coverage      = (online + offline) / all cameras   maintenance counts in "all" (DESIGN.md)
 *   time-weighted = Σ online ms / Σ monitored ms over the window, clamped to [0, 1]
 *   时钟一致率     = 1 − drifting / measured
 * Each is null when its denominator is 0: there is no evidence, and a rate of 0 would lie
 * (the exporter omits such a series rather than publish NaN).
 */
import type { GridTally } from './grid-tally.ts';
import type { Grid, StateCounts } from './model.ts';
import type { CameraEntry } from './monitor.ts';

export interface RateFigures {
  counts: StateCounts;
  total: number;
  /** instantaneous online rate, null when no camera is online or offline */
  onlineRate: number | null;
  coverage: number | null;
  today: { onlineRate: number | null; onlineMs: number; monitoredMs: number };
  month: { onlineRate: number | null; onlineMs: number; monitoredMs: number };
}

export class RateSum {
  online = 0;
  offline = 0;
  unknown = 0;
  maintenance = 0;
  dayOnline = 0;
  dayMonitored = 0;
  monthOnline = 0;
  monthMonitored = 0;

  add(t: GridTally): this {
    this.online += t.counts.online;
    this.offline += t.counts.offline;
    this.unknown += t.counts.unknown;
    this.maintenance += t.counts.maintenance;
    this.dayOnline += t.day.onlineMs;
    this.dayMonitored += t.day.monitoredMs;
    this.monthOnline += t.month.onlineMs;
    this.monthMonitored += t.month.monitoredMs;
    return this;
  }

  figures(): RateFigures {
    const counts = { online: this.online, offline: this.offline, unknown: this.unknown, maintenance: this.maintenance };
    return {
      counts,
      total: totalCameras(counts),
      onlineRate: onlineRatio(counts),
      coverage: coverageRatio(counts),
      today: { onlineRate: timeWeightedRatio(this.dayOnline, this.dayMonitored), onlineMs: this.dayOnline, monitoredMs: this.dayMonitored },
      month: { onlineRate: timeWeightedRatio(this.monthOnline, this.monthMonitored), onlineMs: this.monthOnline, monitoredMs: this.monthMonitored },
    };
  }
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);

export const totalCameras = (c: StateCounts): number => c.online + c.offline + c.unknown + c.maintenance;

/** online / (online + offline); null when nothing is monitored */
export const onlineRatio = (c: StateCounts): number | null => ratio(c.online, c.online + c.offline);

/** (online + offline) / all cameras; null when there are none */
export const coverageRatio = (c: StateCounts): number | null => ratio(c.online + c.offline, totalCameras(c));

/** Σ online ms / Σ monitored ms, clamped to [0, 1]; null when nothing was monitored in the window */
export const timeWeightedRatio = (onlineMs: number, monitoredMs: number): number | null => (monitoredMs > 0 ? Math.min(1, Math.max(0, onlineMs / monitoredMs)) : null);

/** 时钟一致率 = 1 − drifting / measured; null when no camera clock was measured */
export const clockConsistencyRatio = (measured: number, drifting: number): number | null => (measured > 0 ? 1 - drifting / measured : null);

export function emptyCounts(): StateCounts {
  return { online: 0, offline: 0, unknown: 0, maintenance: 0 };
}

export function addCounts(into: StateCounts, c: StateCounts): void {
  into.online += c.online;
  into.offline += c.offline;
  into.unknown += c.unknown;
  into.maintenance += c.maintenance;
}

export interface GridLike {
  grid: Grid;
  tally: GridTally;
}

/** Sum tallies grouped by a key of the grid (town, community, kind, or one bucket). */
export function rollUp(grids: Iterable<GridLike>, key: (g: Grid) => string, now: number): Map<string, RateFigures> {
  const sums = new Map<string, RateSum>();
  for (const g of grids) {
    g.tally.accrue(now);
    const k = key(g.grid);
    let s = sums.get(k);
    if (!s) sums.set(k, (s = new RateSum()));
    s.add(g.tally);
  }
  const out = new Map<string, RateFigures>();
  for (const [k, s] of sums) out.set(k, s.figures());
  return out;
}

/**
 * Full recompute of every grid's counts from the camera states — the check that the
 * incremental tallies are right, and the figure the bench measures (hub.rate_recompute_ms).
 */
export function recountGrids(cameras: Iterable<CameraEntry>, gridCount: number): Int32Array {
  const counts = new Int32Array(gridCount * 4);
  for (const c of cameras) counts[c.gridIndex * 4 + STATE_SLOT[c.state]]! += 1;
  return counts;
}

const STATE_SLOT = { online: 0, offline: 1, unknown: 2, maintenance: 3 } as const;
