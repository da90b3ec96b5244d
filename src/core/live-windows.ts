/**
 * The time-weighted windows the live figures read: per grid, today and this month, in the
 * county's local time. A month is its closed days (stored rows, handed in with `addClosedDay`)
 * plus the days not closed yet, summed from the cameras' timelines; today is always open.
 * One computation for the API and the exporter, cached until time or a timeline moves. Pure.
 */
import { type CameraTimeline, STATE_SLOT } from './camera-timeline.ts';
import type { WindowTally } from './grid-tally.ts';
import { dayStart, monthStart, nextDayStart, nextMonthStart } from './time-windows.ts';

/** What the windows read of the monitor (src/core/monitor.ts): grids in index order, timelines. */
export interface WindowsHost {
  readonly config: { readonly tzOffsetMinutes: number };
  /** bumped with every change of a timeline */
  readonly version: number;
  readonly gridOrder: readonly string[];
  readonly grids: ReadonlyMap<string, { tally: { day: WindowTally; month: WindowTally } }>;
  readonly cameras: ReadonlyMap<string, TimelineHolder>;
  readonly retired: ReadonlyMap<string, TimelineHolder>;
}

interface TimelineHolder {
  readonly timeline: CameraTimeline;
  /** position of its grid in gridOrder */
  readonly gridIndex: number;
}

/** Per grid (in Monitor.gridOrder), 4 slots: online, offline, unknown, maintenance ms. */
export type GridStateMs = Float64Array;

export class LiveWindows {
  /** closed days by day start: per grid state ms */
  private readonly closed = new Map<number, GridStateMs>();
  private cacheKey = '';
  private openCache = new Map<number, GridStateMs>();
  private refreshedKey = '';
  private closedVersion = 0;

  constructor(
    private readonly monitor: WindowsHost,
    /** start of the first local day not closed */
    public openFrom: number,
  ) {}

  private get tz(): number {
    return this.monitor.config.tzOffsetMinutes;
  }

  /** A day was closed (or is loaded from storage at start): its figures now come from its rows. */
  addClosedDay(day: number, perGrid: GridStateMs): void {
    this.closed.set(day, perGrid);
    if (day >= this.openFrom) this.openFrom = nextDayStart(day, this.tz);
    // keep this month and the last in memory; older periods are read from storage
    const keepFrom = monthStart(monthStart(day, this.tz) - 1, this.tz);
    for (const d of this.closed.keys()) if (d < keepFrom) this.closed.delete(d);
    this.closedVersion++;
    this.cacheKey = '';
  }

  closedDay(day: number): GridStateMs | undefined {
    return this.closed.get(day);
  }

  /** Per open day (its start) the per-grid state ms from the timelines, up to `now`. */
  openDays(now: number): Map<number, GridStateMs> {
    const key = `${now}:${this.monitor.version}:${this.openFrom}`;
    if (key === this.cacheKey) return this.openCache;
    const m = this.monitor;
    const n = m.gridOrder.length * 4;
    const out = new Map<number, GridStateMs>();
    const days: number[] = [];
    for (let d = this.openFrom; d < now; d = nextDayStart(d, this.tz)) {
      days.push(d);
      out.set(d, new Float64Array(n));
    }
    const add = (cams: Iterable<TimelineHolder>) => {
      for (const c of cams) {
        for (const d of days) c.timeline.addStateMs(d, Math.min(nextDayStart(d, this.tz), now), out.get(d)!, c.gridIndex * 4);
      }
    };
    add(m.cameras.values());
    add(m.retired.values());
    this.openCache = out;
    this.cacheKey = key;
    return out;
  }

  /** Fill every grid tally's `day` and `month` windows as of `now`. */
  refresh(now: number): void {
    const key = `${now}:${this.monitor.version}:${this.openFrom}:${this.closedVersion}`;
    if (key === this.refreshedKey) return;
    this.refreshedKey = key;
    const open = this.openDays(now);
    const today = dayStart(now, this.tz);
    const month = monthStart(now, this.tz);
    const todays = open.get(today);
    const monthDays: GridStateMs[] = [];
    for (const [d, g] of this.closed) if (d >= month && d < now) monthDays.push(g);
    for (const [d, g] of open) if (d >= month) monthDays.push(g);
    const m = this.monitor;
    for (let i = 0; i < m.gridOrder.length; i++) {
      const t = m.grids.get(m.gridOrder[i]!)!.tally;
      const o = i * 4;
      const on = todays ? todays[o + STATE_SLOT.online]! : 0;
      const off = todays ? todays[o + STATE_SLOT.offline]! : 0;
      t.day = { start: today, end: nextDayStart(now, this.tz), onlineMs: on, monitoredMs: on + off };
      let mOn = 0;
      let mMon = 0;
      for (const g of monthDays) {
        mOn += g[o + STATE_SLOT.online]!;
        mMon += g[o + STATE_SLOT.online]! + g[o + STATE_SLOT.offline]!;
      }
      t.month = { start: month, end: nextMonthStart(now, this.tz), onlineMs: mOn, monitoredMs: mMon };
    }
  }
}
