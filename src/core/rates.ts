/**
 * Online rate and coverage from grid tallies, rolled up the org tree and by grid
 * kind. Pure functions over in-memory counters (never SQL on the hot path).
 *   online rate = online / (online + offline)      (null when nothing is monitored)
 *   coverage    = (online + offline) / all cameras
 *   time-weighted = Σ online ms / Σ monitored ms over the window
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
    const total = this.online + this.offline + this.unknown + this.maintenance;
    const monitored = this.online + this.offline;
    return {
      counts: { online: this.online, offline: this.offline, unknown: this.unknown, maintenance: this.maintenance },
      total,
      onlineRate: ratio(this.online, monitored),
      coverage: ratio(monitored, total),
      today: { onlineRate: ratio(this.dayOnline, this.dayMonitored), onlineMs: this.dayOnline, monitoredMs: this.dayMonitored },
      month: { onlineRate: ratio(this.monthOnline, this.monthMonitored), onlineMs: this.monthOnline, monitoredMs: this.monthMonitored },
    };
  }
}

export const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);

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
