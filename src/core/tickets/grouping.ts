/**
 * Grouping (Alertmanager's dispatch): cameras of one site that fail within `groupWaitMs` of
 * the first become one pending group. When the wait is over the group flushes into ONE site
 * ticket if at least `siteMinCameras` of its cameras still need a ticket, else into one camera
 * ticket each. A camera without a site, or of a site with fewer than `siteMinCameras`
 * registered cameras, opens at once. While pending, a camera that comes back is recorded as
 * back (its ticket opens with it back); one that goes into maintenance leaves its group.
 */
import type { FaultClass } from '../../protocol/probe-result.ts';
import type { CameraMeta } from '../model.ts';
import type { DownCamera, TicketKind, TicketRules } from './model.ts';

/** The cameras of one site waiting for their neighbours. */
export interface PendingGroup {
  siteId: string;
  /** hub time the first camera joined: the wait counts from here */
  firstAt: number;
  cams: Map<string, DownCamera>;
}

/** A ticket to open. siteId: the site of a site ticket; null for a camera ticket (it takes its camera's). */
export interface Batch {
  kind: TicketKind;
  siteId: string | null;
  cameras: [string, DownCamera][];
}

export class Grouping {
  /** site → registered cameras */
  private readonly registered = new Map<string, number>();
  /** site → its pending group, in the order the groups formed */
  private readonly pending = new Map<string, PendingGroup>();

  constructor(
    private readonly rules: TicketRules,
    cameras: Iterable<CameraMeta>,
  ) {
    for (const c of cameras) if (c.siteId) this.registered.set(c.siteId, (this.registered.get(c.siteId) ?? 0) + 1);
  }

  /** The site a camera groups under: its own, if that site has at least `siteMinCameras` registered cameras. */
  siteOf(meta: CameraMeta): string | null {
    if (!meta.siteId) return null;
    return (this.registered.get(meta.siteId) ?? 0) >= this.rules.siteMinCameras ? meta.siteId : null;
  }

  /** A camera failed and no ticket holds it: the ticket to open now (no site), or null (it waits in its site's group). */
  add(code: string, site: string | null, since: number, fault: FaultClass | null, now: number): Batch | null {
    const cam: DownCamera = { since, fault, backAt: null, backSince: null };
    if (!site) return { kind: 'camera', siteId: null, cameras: [[code, cam]] };
    let g = this.pending.get(site);
    if (!g) this.pending.set(site, (g = { siteId: site, firstAt: now, cams: new Map() }));
    g.cams.set(code, cam);
    return null;
  }

  /** A pending camera came back online (hub time `now`, really back since `since`). */
  back(code: string, since: number, now: number): void {
    for (const g of this.pending.values()) {
      const p = g.cams.get(code);
      if (p) Object.assign(p, { backAt: now, backSince: since });
    }
  }

  /** A pending camera went into maintenance: it leaves its group. */
  drop(code: string): void {
    for (const g of this.pending.values()) g.cams.delete(code);
  }

  isPending(code: string): boolean {
    for (const g of this.pending.values()) if (g.cams.has(code)) return true;
    return false;
  }

  /** The groups whose wait is over, taken out of the pending set in the order they formed. */
  due(now: number): PendingGroup[] {
    const out: PendingGroup[] = [];
    for (const [site, g] of this.pending)
      if (now - g.firstAt >= this.rules.groupWaitMs) {
        this.pending.delete(site);
        out.push(g);
      }
    return out;
  }

  /** The tickets a flushed group opens; `needsTicket` says which of its cameras still need one (not held by a ticket, not silenced). */
  flush(g: PendingGroup, needsTicket: (code: string) => boolean): Batch[] {
    const entries = [...g.cams].filter(([code]) => needsTicket(code));
    if (entries.length === 0) return [];
    if (entries.length >= this.rules.siteMinCameras) return [{ kind: 'site', siteId: g.siteId, cameras: entries }];
    return entries.map((e) => ({ kind: 'camera', siteId: null, cameras: [e] }));
  }
}
