/**
 * Inhibition (Alertmanager's inhibit stage): while a site (parent) ticket is active, a camera
 * of that site that fails later joins it (`camera_added`): no child ticket, and no reopening
 * of the camera's own recently resolved ticket.
 */
import type { FaultClass } from '../../protocol/probe-result.ts';
import type { CameraMeta } from '../model.ts';
import { ticketCamera } from './model.ts';
import type { TicketChangeLog } from './change-log.ts';
import type { TicketIndex } from './ticket-index.ts';

export class Inhibition {
  constructor(
    private readonly index: TicketIndex,
    private readonly changes: TicketChangeLog,
  ) {}

  /** Does an active site ticket cover this site? */
  inhibits(siteId: string | null): boolean {
    return !!siteId && this.index.forSite(siteId) !== undefined;
  }

  /** The failed camera joins its site's active parent ticket, if there is one; true if it did. */
  absorb(site: string | null, meta: CameraMeta, since: number, fault: FaultClass | null, now: number): boolean {
    const parent = site ? this.index.forSite(site) : undefined;
    if (!parent) return false;
    parent.cameras.push(ticketCamera(meta, since, fault));
    this.index.hold(meta.code, parent);
    this.changes.emit(parent, 'camera_added', 'monitor', { camera: meta.code, fault }, now);
    return true;
  }
}
