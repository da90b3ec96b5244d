/**
 * Closing local days (日结, docs/accounting.md): a day closes at its end + the grace period
 * (and not before the hub has been up for the grace period, so agents can hand over what they
 * spooled while it was away), into per-camera and per-grid rows; then its figures come from
 * storage and the timelines forget it. Cameras are accounted in chunks between which the event
 * loop runs. Evidence arriving for a closed day later is kept in the transition log and the
 * timeline, and does not change the stored day.
 */
import { DayAccount, dayDue } from '../core/day-account.ts';
import type { Monitor } from '../core/monitor.ts';
import { localDay } from '../core/time-windows.ts';
import type { Database } from '../db/client.ts';
import { writeClosedDay } from '../db/day-store.ts';
import type { Logger } from '../log.ts';

export interface DayCloseOptions {
  /** a day closes this long after its end (default 1 h) */
  graceMs: number;
  /** when this hub started: no day closes before it has been up for `graceMs` */
  startedAt: number;
  /** cameras accounted between two turns of the event loop */
  chunk?: number;
}

export interface ClosedDaySummary {
  day: string;
  dayStart: number;
  cameras: number;
  /** false: another writer had closed it already */
  written: boolean;
}

export class DayCloser {
  private running: Promise<ClosedDaySummary[]> | null = null;
  readonly closed: ClosedDaySummary[] = [];

  constructor(
    private readonly deps: {
      db: Database;
      monitor: Monitor;
      now: () => number;
      logger: Logger;
      /** before a day is accounted: bring the states up to `now` (the measured-time sweep) and hand its transitions over */
      settle?: (now: number) => void;
    },
    private readonly opts: DayCloseOptions,
  ) {}

  /** The first day not closed yet, if it is due at `now`. */
  due(now: number): number | null {
    const m = this.deps.monitor;
    const d = m.windows.openFrom;
    return dayDue(d, now, m.config.tzOffsetMinutes, this.opts.graceMs, this.opts.startedAt) ? d : null;
  }

  /** Close every day that is due, oldest first (one run at a time). */
  closeDue(): Promise<ClosedDaySummary[]> {
    if (!this.running) {
      this.running = this.run().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  private async run(): Promise<ClosedDaySummary[]> {
    const out: ClosedDaySummary[] = [];
    for (let d = this.due(this.deps.now()); d !== null; d = this.due(this.deps.now())) out.push(await this.closeDay(d));
    return out;
  }

  private async closeDay(dayStart: number): Promise<ClosedDaySummary> {
    const { monitor, db, logger } = this.deps;
    const tz = monitor.config.tzOffsetMinutes;
    const day = localDay(dayStart, tz);
    const t0 = performance.now();
    this.deps.settle?.(this.deps.now());
    const cams = [...monitor.cameras.values(), ...monitor.retired.values()];
    const account = new DayAccount(dayStart, tz, monitor.gridOrder);
    const chunk = this.opts.chunk ?? 5000;
    for (let i = 0; i < cams.length; i++) {
      if (i > 0 && i % chunk === 0) await new Promise((r) => setImmediate(r));
      account.add(cams[i]!);
    }
    const rows = account.cameras;
    const written = await writeClosedDay(db, { day, dayStart, closedAt: this.deps.now(), cameras: rows.length }, rows, account.grids());
    monitor.closeDay(account);
    const summary = { day, dayStart, cameras: rows.length, written };
    this.closed.push(summary);
    logger.info({ day, cameras: rows.length, written, ms: Math.round(performance.now() - t0) }, 'day closed');
    return summary;
  }
}
