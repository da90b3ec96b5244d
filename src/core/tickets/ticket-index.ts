/**
 * The active tickets and what each one holds: the state the stages share. Holds, decides
 * nothing. Invariants (kept by the stages that call it): at most one active (not resolved)
 * ticket per camera; at most one active site ticket per site.
 */
import type { Ticket, TicketCamera } from './model.ts';

export class TicketIndex {
  /** active (not resolved) tickets by id, in the order they became active */
  readonly active = new Map<number, Ticket>();
  private readonly byCamera = new Map<string, Ticket>();
  private readonly bySite = new Map<string, Ticket>();

  /** The active ticket holding a camera. */
  forCamera(code: string): Ticket | undefined {
    return this.byCamera.get(code);
  }

  /** The active site (parent) ticket of a site. */
  forSite(siteId: string): Ticket | undefined {
    return this.bySite.get(siteId);
  }

  /**
   * A ticket becomes active (opened, reopened, restored): it holds those of its cameras, and its
   * site if it is a site ticket, that no other active ticket holds — a reopened site ticket does
   * not take back a camera a worker's ticket holds since.
   */
  add(t: Ticket): void {
    this.active.set(t.id, t);
    for (const c of t.cameras) if (!this.byCamera.has(c.code)) this.byCamera.set(c.code, t);
    if (t.kind === 'site' && t.siteId && !this.bySite.has(t.siteId)) this.bySite.set(t.siteId, t);
  }

  /** An active ticket takes one more camera. */
  hold(code: string, t: Ticket): void {
    this.byCamera.set(code, t);
  }

  /** A ticket is resolved: it lets go of what it still holds. */
  remove(t: Ticket): void {
    this.active.delete(t.id);
    for (const c of t.cameras) if (this.byCamera.get(c.code) === t) this.byCamera.delete(c.code);
    if (t.siteId && this.bySite.get(t.siteId) === t) this.bySite.delete(t.siteId);
  }
}

/** A camera's entry on a ticket that holds it. */
export function cameraOf(t: Ticket, code: string): TicketCamera {
  return t.cameras.find((c) => c.code === code)!;
}
