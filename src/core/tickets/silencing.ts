/**
 * Silencing (Alertmanager's silence stage): a camera covered by a maintenance window (报备)
 * at the time opens no ticket and counts no flap — checked when it fails, and again when its
 * pending group flushes. The windows have one owner, the MaintenanceCalendar; this stage only asks it.
 */
import type { MaintenanceCalendar } from '../maintenance.ts';
import type { CameraMeta } from '../model.ts';

export class Silencing {
  constructor(private readonly calendar: MaintenanceCalendar) {}

  silenced(meta: CameraMeta, t: number): boolean {
    return this.calendar.covers(meta, t);
  }
}
