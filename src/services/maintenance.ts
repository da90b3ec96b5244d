/**
 * Maintenance windows (报备) in the running hub: loads the current and future windows from
 * the store into the core's calendar, and keeps the monitor's states in step with it
 * (cameras enter `maintenance` when a window starts, leave it to `unknown` when it ends).
 * The ticket rules consult the same calendar (silence stage). One owner, one timer.
 */
import { MaintenanceCalendar } from '../core/maintenance.ts';
import type { CameraMeta } from '../core/model.ts';
import type { Monitor } from '../core/monitor.ts';
import type { Database } from '../db/client.ts';
import { currentWindows, deleteWindow, insertWindow } from '../db/maintenance-store.ts';
import type { MaintenanceWindow } from '../core/maintenance.ts';
import type { TransitionSink } from './transition-sink.ts';

export class MaintenanceService {
  readonly calendar: MaintenanceCalendar;
  /** cameras this service put into maintenance (windows are the only source of that state) */
  private readonly inMaintenance = new Set<string>();
  private readonly listeners: (() => void)[] = [];

  constructor(
    private readonly deps: { db: Database; monitor: Monitor; sink: TransitionSink; now: () => number },
    cameras: Iterable<CameraMeta>,
  ) {
    this.calendar = new MaintenanceCalendar(cameras);
  }

  /** Read the windows from the store; cameras already in maintenance (restored) stay this service's. */
  async start(): Promise<void> {
    for (const c of this.deps.monitor.cameras.values()) if (c.state === 'maintenance') this.inMaintenance.add(c.code);
    this.calendar.set(await currentWindows(this.deps.db, this.deps.now()));
  }

  /** The windows changed in the store (created, cancelled): reload and apply at once. */
  async reload(): Promise<void> {
    this.calendar.set(await currentWindows(this.deps.db, this.deps.now()));
    this.apply(this.deps.now());
    for (const fn of this.listeners) fn();
  }

  /** Windows not yet over. */
  list(): Promise<MaintenanceWindow[]> {
    return currentWindows(this.deps.db, this.deps.now());
  }

  /** Store a window and apply it at once. */
  async create(w: Omit<MaintenanceWindow, 'id'>): Promise<MaintenanceWindow> {
    const out = await insertWindow(this.deps.db, w);
    await this.reload();
    return out;
  }

  /** Cancel a window not yet over; false when there is none with that id (or `mayCancel` says no). */
  async cancel(id: number, mayCancel: (w: MaintenanceWindow) => boolean): Promise<boolean> {
    const w = (await this.list()).find((x) => x.id === id);
    if (!w || !mayCancel(w)) return false;
    await deleteWindow(this.deps.db, w.id);
    await this.reload();
    return true;
  }

  /** Called after every reload (the ticket service re-evaluates its rules). */
  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  /** Time passes: windows start and end; the monitor follows. */
  apply(now: number): void {
    const covered = this.calendar.coveredCameras(now);
    const m = this.deps.monitor;
    for (const code of covered) {
      if (m.cameras.get(code)?.state !== 'maintenance') m.setMaintenance(code, true, now);
      this.inMaintenance.add(code);
    }
    for (const code of this.inMaintenance) {
      if (covered.has(code)) continue;
      m.setMaintenance(code, false, now);
      this.inMaintenance.delete(code);
    }
    this.deps.sink.hand('maintenance');
  }
}
