/**
 * Maintenance windows (报备): the one owner of "is this camera in planned work at time t".
 * The monitor's state (cameras leave the rate), the ticket rules (no ticket opens: the
 * silence stage) and the API all consult this calendar. Pure: windows and time in, answers out.
 */
import type { CameraMeta } from './model.ts';

/** A planned-work window (报备) over cameras, a site and/or a grid, [from, to). */
export interface MaintenanceWindow {
  id: number;
  cameras: string[];
  siteId: string | null;
  gridId: string | null;
  from: number;
  to: number;
  note: string;
  createdBy: string;
}

/** Does a maintenance window cover this camera at time t? */
export function windowCovers(w: MaintenanceWindow, cam: CameraMeta, t: number): boolean {
  if (t < w.from || t >= w.to) return false;
  if (w.cameras.includes(cam.code)) return true;
  if (w.siteId !== null && w.siteId === cam.siteId) return true;
  return w.gridId !== null && w.gridId === cam.gridId;
}

export class MaintenanceCalendar {
  private current: MaintenanceWindow[] = [];
  private readonly known = new Set<string>();
  private readonly siteCams = new Map<string, string[]>();
  private readonly gridCams = new Map<string, string[]>();

  constructor(cameras: Iterable<CameraMeta>) {
    for (const c of cameras) {
      this.known.add(c.code);
      if (c.siteId) push(this.siteCams, c.siteId, c.code);
      push(this.gridCams, c.gridId, c.code);
    }
  }

  /** Replace the windows (the store's current and future approved windows). */
  set(windows: MaintenanceWindow[]): void {
    this.current = windows;
  }

  get windows(): readonly MaintenanceWindow[] {
    return this.current;
  }

  covers(cam: CameraMeta, t: number): boolean {
    for (const w of this.current) if (windowCovers(w, cam, t)) return true;
    return false;
  }

  /** Every registered camera covered by some window at `now`. */
  coveredCameras(now: number): Set<string> {
    const out = new Set<string>();
    for (const w of this.current) {
      if (now < w.from || now >= w.to) continue;
      for (const c of w.cameras) if (this.known.has(c)) out.add(c);
      if (w.siteId) for (const c of this.siteCams.get(w.siteId) ?? []) out.add(c);
      if (w.gridId) for (const c of this.gridCams.get(w.gridId) ?? []) out.add(c);
    }
    return out;
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
