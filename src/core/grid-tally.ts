/**
 * Per-grid counters: cameras by state now, and time-weighted online/monitored
 * milliseconds over the current local day and month. Kept incrementally:
 * before counts change, the elapsed time is accrued as count × dt. Pure, no I/O.
 */
import type { CameraState, StateCounts } from './model.ts';
import { dayStart, monthStart, nextDayStart, nextMonthStart } from './time-windows.ts';

export interface WindowTally {
  start: number;
  end: number;
  onlineMs: number;
  monitoredMs: number;
}

export class GridTally {
  readonly counts: StateCounts = { online: 0, offline: 0, unknown: 0, maintenance: 0 };
  accruedAt: number;
  day: WindowTally;
  month: WindowTally;

  constructor(
    now: number,
    private readonly tz: number,
  ) {
    this.accruedAt = now;
    this.day = { start: dayStart(now, tz), end: nextDayStart(now, tz), onlineMs: 0, monitoredMs: 0 };
    this.month = { start: monthStart(now, tz), end: nextMonthStart(now, tz), onlineMs: 0, monitoredMs: 0 };
  }

  /** Bring the windows up to `now` (rolling over day and month boundaries). */
  accrue(now: number): void {
    while (now > this.accruedAt) {
      const until = Math.min(now, this.day.end, this.month.end);
      const dt = until - this.accruedAt;
      const on = this.counts.online * dt;
      const mon = (this.counts.online + this.counts.offline) * dt;
      this.day.onlineMs += on;
      this.day.monitoredMs += mon;
      this.month.onlineMs += on;
      this.month.monitoredMs += mon;
      this.accruedAt = until;
      if (until === this.day.end) this.day = { start: until, end: nextDayStart(until, this.tz), onlineMs: 0, monitoredMs: 0 };
      if (until === this.month.end) this.month = { start: until, end: nextMonthStart(until, this.tz), onlineMs: 0, monitoredMs: 0 };
    }
  }

  /** A camera enters (+1) or leaves (−1) `state` at `now`. */
  move(from: CameraState | null, to: CameraState | null, now: number): void {
    this.accrue(now);
    if (from) this.counts[from] -= 1;
    if (to) this.counts[to] += 1;
  }

  /**
   * Re-attribute the already accrued span [from, accruedAt] of one camera from
   * state `was` to state `is` (offline counts from the last success, so time
   * first accrued as online becomes offline when the debounce confirms it).
   */
  reattribute(was: CameraState, is: CameraState, from: number): void {
    for (const w of [this.day, this.month]) {
      const span = this.accruedAt - Math.max(from, w.start);
      if (span <= 0) continue;
      w.onlineMs += span * ((is === 'online' ? 1 : 0) - (was === 'online' ? 1 : 0));
      w.monitoredMs += span * (monitored(is) - monitored(was));
    }
  }
}

const monitored = (s: CameraState): number => (s === 'online' || s === 'offline' ? 1 : 0);
