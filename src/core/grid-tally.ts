/**
 * Per grid: cameras by state now (kept incrementally by the monitor), and the time-weighted
 * windows of the current local day and month, filled from the cameras' timelines and the
 * closed days by `LiveWindows.refresh` (src/core/live-windows.ts). Pure, no I/O.
 */
import type { CameraState, StateCounts } from './model.ts';

export interface WindowTally {
  start: number;
  end: number;
  onlineMs: number;
  monitoredMs: number;
}

/** Fills the tallies' windows (src/core/live-windows.ts); cheap when nothing moved. */
export interface WindowSource {
  refresh(now: number): void;
}

export class GridTally {
  readonly counts: StateCounts = { online: 0, offline: 0, unknown: 0, maintenance: 0 };
  day: WindowTally = { start: 0, end: 0, onlineMs: 0, monitoredMs: 0 };
  month: WindowTally = { start: 0, end: 0, onlineMs: 0, monitoredMs: 0 };

  constructor(private readonly windows: WindowSource | null = null) {}

  /** Bring `day` and `month` up to `now` (every grid's at once: one pass over the timelines). */
  accrue(now: number): void {
    this.windows?.refresh(now);
  }

  /** A camera leaves `from` and enters `to` (null: it enters or leaves the grid). */
  move(from: CameraState | null, to: CameraState | null): void {
    if (from) this.counts[from] -= 1;
    if (to) this.counts[to] += 1;
  }

  clear(): void {
    this.counts.online = 0;
    this.counts.offline = 0;
    this.counts.unknown = 0;
    this.counts.maintenance = 0;
  }
}
