/**
 * Verification (verified closure): a camera back online starts a hold-down at `backAt`; it is
 * verified once a fresh successful probe arrives `holdDownMs` or more after that. When every
 * camera of a ticket is verified and the ticket may close itself (`autoClose`), the monitor
 * resolves it, with its time to repair. A spell without evidence (unknown, maintenance) starts a
 * recovery in progress over. An active ticket past its SLA due time is flagged once (`sla_breached`).
 */
import type { Ticket, TicketRules } from './model.ts';
import type { TicketLifecycle } from './lifecycle.ts';
import type { TicketChangeLog } from './change-log.ts';
import { cameraOf, type TicketIndex } from './ticket-index.ts';

export class Verification {
  constructor(
    private readonly rules: TicketRules,
    private readonly index: TicketIndex,
    private readonly lifecycle: TicketLifecycle,
    private readonly changes: TicketChangeLog,
  ) {}

  /** A camera the ticket holds came back online (hub time `now`, really back since `since`): the hold-down starts. */
  back(t: Ticket, code: string, since: number, now: number): void {
    const c = cameraOf(t, code);
    if (c.backAt !== null || c.verified) return;
    Object.assign(c, { backAt: now, backSince: since, lastOkAt: null });
    this.changes.emit(t, 'camera_back', 'monitor', { camera: code, since }, now);
  }

  /** A successful probe result: fresh evidence for a camera in its hold-down. */
  succeeded(code: string, now: number): void {
    const t = this.index.forCamera(code);
    if (!t) return;
    const c = cameraOf(t, code);
    if (c.backAt !== null && now >= c.backAt) c.lastOkAt = now;
  }

  /** unknown or maintenance: no evidence either way; a recovery in progress must start over. */
  lost(code: string): void {
    const t = this.index.forCamera(code);
    if (!t) return;
    const c = cameraOf(t, code);
    if (c.backAt !== null && !c.verified) Object.assign(c, { backAt: null, lastOkAt: null });
  }

  /** Time passes: recoveries verify, verified tickets close, SLAs breach. */
  tick(now: number): void {
    for (const t of [...this.index.active.values()]) {
      let all = true;
      for (const c of t.cameras) {
        if (!c.verified && c.backAt !== null && c.lastOkAt !== null && c.lastOkAt - c.backAt >= this.rules.holdDownMs) c.verified = true;
        if (!c.verified) all = false;
      }
      if (all && t.autoClose) {
        this.lifecycle.resolve(t, 'monitor', now);
        continue;
      }
      if (!t.slaBreached && now >= t.slaDueAt) {
        t.slaBreached = true;
        this.changes.emit(t, 'sla_breached', 'monitor', { slaDueAt: t.slaDueAt }, now);
      }
    }
  }
}
